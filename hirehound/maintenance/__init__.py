"""Keeping the corpus clean: expire, re-check, archive, stats, database upkeep, and the
sweep that drives on postings a crash left mid-pipeline.

Every function takes a session (or an engine for statements that cannot run in a
transaction) and never commits; the caller frames the transaction.
"""

from hirehound.maintenance._archive import ArchiveResult, archive_old
from hirehound.maintenance._expire import expire_postings
from hirehound.maintenance._optimize import optimize_database
from hirehound.maintenance._recheck import (
    HttpLinkChecker,
    LinkStatus,
    RecheckResult,
    recheck_postings,
)
from hirehound.maintenance._stats import compute_daily_stats
from hirehound.maintenance._sweep import SweepClaim, claim_stuck

__all__ = [
    "ArchiveResult",
    "HttpLinkChecker",
    "LinkStatus",
    "RecheckResult",
    "SweepClaim",
    "archive_old",
    "claim_stuck",
    "compute_daily_stats",
    "expire_postings",
    "optimize_database",
    "recheck_postings",
]

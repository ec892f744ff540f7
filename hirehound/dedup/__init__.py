"""Duplicate detection and clustering, cheapest stage first.

1. exact: canonical URL (tracking parameters stripped) or normalized-content hash;
2. near: MinHash LSH band keys and attribute keys in `dedup_band_keys` (index lookups);
3. semantic: pgvector neighbours of the combined embedding within the organization;
4. attributes: same organization, equivalent title, same place. Every stage is gated by it:
   text similarity alone never makes two postings one job.

    decisions = dedup.check(session, ids)                 # exact / possible / unique
    decisions = dedup.deep_check(session, decisions)      # after embedding: exact / unique
    dedup.assign_clusters(session, decisions)
"""

from __future__ import annotations

from hirehound.dedup._check import DedupDecision, check, deep_check
from hirehound.dedup._clusters import (
    ClusterSummary,
    RevalidationSummary,
    assign_clusters,
    refresh_canonical,
    revalidate_clusters,
)
from hirehound.dedup._config import DEFAULT_CONFIG, DedupConfig

__all__ = [
    "DEFAULT_CONFIG",
    "ClusterSummary",
    "DedupConfig",
    "DedupDecision",
    "RevalidationSummary",
    "assign_clusters",
    "check",
    "deep_check",
    "refresh_canonical",
    "revalidate_clusters",
]

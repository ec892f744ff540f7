"""Job ingestion, the core half: raw storage and steps 2-13 over chunks of posting ids.

`tasks/ingest.py` wraps each step in a Prefect task and `flows/ingest.py` composes them.
"""

from __future__ import annotations

from hirehound.ingest._batch import ChunkOutcome, bad_record_letter, batches
from hirehound.ingest._cpu import configure_pool
from hirehound.ingest._export import export_postings, posting_document
from hirehound.ingest._memory import release_free_memory
from hirehound.ingest._raw import RawBatchResult, store_raw
from hirehound.ingest._select import LIVE_STATUSES, posting_ids_after
from hirehound.ingest._steps import (
    Routing,
    StepResult,
    assign_clusters,
    check_duplicates,
    clean,
    deep_check,
    embed,
    extract_skills,
    index,
    inherit_from_duplicates,
    match_organizations,
    normalize,
    originals_in_flight,
    publish,
    resume_points,
    score_quality,
    score_spam,
)

__all__ = [
    "LIVE_STATUSES",
    "ChunkOutcome",
    "RawBatchResult",
    "Routing",
    "StepResult",
    "assign_clusters",
    "bad_record_letter",
    "batches",
    "check_duplicates",
    "clean",
    "configure_pool",
    "deep_check",
    "embed",
    "export_postings",
    "extract_skills",
    "index",
    "inherit_from_duplicates",
    "match_organizations",
    "normalize",
    "originals_in_flight",
    "posting_document",
    "posting_ids_after",
    "publish",
    "release_free_memory",
    "resume_points",
    "score_quality",
    "score_spam",
    "store_raw",
]

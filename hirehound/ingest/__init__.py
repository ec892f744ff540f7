"""Job ingestion, the core half: raw storage and steps 2-13 over chunks of posting ids.

`tasks/ingest.py` wraps each step in a Prefect task; `run_direct` runs the same steps in
one process without Prefect (benchmarks, debugging).
"""

from __future__ import annotations

from hirehound.ingest._direct import ChunkOutcome, process_chunk, run_direct
from hirehound.ingest._export import export_postings, posting_document
from hirehound.ingest._raw import RawBatchResult, store_raw
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
    publish,
    score_quality,
    score_spam,
)

__all__ = [
    "ChunkOutcome",
    "RawBatchResult",
    "Routing",
    "StepResult",
    "assign_clusters",
    "check_duplicates",
    "clean",
    "deep_check",
    "embed",
    "export_postings",
    "extract_skills",
    "index",
    "inherit_from_duplicates",
    "match_organizations",
    "normalize",
    "posting_document",
    "process_chunk",
    "publish",
    "run_direct",
    "score_quality",
    "score_spam",
    "store_raw",
]

"""Re-run the ML or indexing stages over the live corpus, after what they depend on changed.

    reembed-postings (ml queue):       skills + vectors ─► search documents and cluster vectors
    reindex-postings (indexing queue): search documents and cluster vectors

Statuses are left alone: a posting is not re-scored or re-published, so a reviewer's verdict
and an expiry stay as they are. Chunks hold the `ml` and `indexing` limits like ingestion's.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from prefect import flow, get_run_logger

from flows._runtime import configure
from flows.ingest import _prefect
from hirehound.ingest import LIVE_STATUSES
from tasks import ingest as t
from tasks._retry import TIMEOUTS


@flow(name="reprocess-postings", timeout_seconds=TIMEOUTS.reprocess_flow_s)
def reprocess_postings(
    stage: Literal["embed", "index"] = "index",
    statuses: list[str] | None = None,
    limit: int | None = None,
    chunk_size: int = 512,
    settings_block: str | None = None,
) -> dict[str, int]:
    """Re-embed or re-index live postings, a chunk at a time, in id order.

    Args:
        stage: `embed` re-extracts skills and recomputes vectors (a new embedding model or
            skills list), then re-indexes; `index` rebuilds search documents and cluster
            vectors only (new search weights).
        statuses: which postings (default: active and held).
        limit: at most this many postings (default: all).
        chunk_size: postings per task run.
        settings_block: name of a `hirehound-settings` block to read settings from.
    """
    configure(settings_block)
    wanted = list(statuses or LIVE_STATUSES)
    totals: Counter[str] = Counter()
    after = 0
    while limit is None or totals["selected"] < limit:
        page = chunk_size if limit is None else min(chunk_size, limit - totals["selected"])
        ids = t.select_live_postings(after, page, wanted)
        if not ids:
            break
        after = ids[-1]
        totals["selected"] += len(ids)
        chunk = _prefect(t.extract_skills_and_embed, ids) if stage == "embed" else ids
        if stage == "embed":
            totals["embedded"] += len(chunk)
        totals["indexed"] += len(_prefect(t.reindex, chunk))
    get_run_logger().info("reprocessed (%s): %s", stage, dict(totals))
    return dict(totals)

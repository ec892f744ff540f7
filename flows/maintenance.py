"""Maintenance flows, each scheduled in prefect.yaml:

- `daily_maintenance` (02:00): expire, re-check links, archive, stats, vacuum/reindex;
- `expire_postings` (every 15 min): expiry only, cheap;
- `revalidate_duplicate_clusters` (every 6 h);
- `sweep_stuck_postings` (every 10 min): postings a crash left mid-pipeline, driven on;
- `prune_old_runs` (daily): delete old flow runs from the Prefect database.

The flows that touch Hirehound's database take `settings_block` and configure through
`flows._runtime.configure`, like ingestion and enrichment (deployments pass `hirehound`).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows._runtime import configure
from tasks import maintenance as t
from tasks._retry import TIMEOUTS


@flow(timeout_seconds=TIMEOUTS.maintenance_flow_s)
def daily_maintenance(
    max_age_days: int = 60,
    recheck_limit: int = 500,
    recheck_per_second: float = 2.0,
    archive_after_days: int = 180,
    raw_payload_days: int = 90,
    vacuum: bool = True,
    settings_block: str | None = None,
) -> dict[str, Any]:
    """Keep the corpus clean: expire, re-check, archive, count, then tidy the database.

    Args:
        max_age_days: expire live postings no fetch has seen for this many days (and any past
            their valid_through).
        recheck_limit: how many active postings' URLs to re-check, least recently checked
            first (404/410 removes the posting).
        recheck_per_second: pace of those re-checks (they also take `scraping-rate` tokens).
        archive_after_days: archive expired or removed postings untouched for this many days.
        raw_payload_days: move the raw payloads of archived postings fetched more than this
            many days ago to `raw_payload_archive`.
        vacuum: run VACUUM (ANALYZE) on the hot tables (invalid indexes are rebuilt anyway).
        settings_block: name of a `hirehound-settings` block (database URL, embeddings) to
            read settings from; empty: the worker's HIREHOUND_* environment.
    """
    settings = configure(settings_block)
    expired = t.expire_postings(max_age_days)
    links = t.recheck_links(recheck_limit, recheck_per_second)
    archived = t.archive_postings(archive_after_days, raw_payload_days)
    # Resolved dead letters past the retention (HIREHOUND_DEAD_LETTER_RETENTION_DAYS).
    purged = t.purge_dead_letters(settings.dead_letter_retention_days)
    stats = t.compute_stats()
    optimized = t.optimize_indexes(vacuum)
    summary = {"expired": expired, "links": links, "archived": archived,
               "dead_letters_purged": purged, "optimized": optimized}
    rows = [{"step": k, "result": str(v)} for k, v in summary.items()]
    rows += [{"step": f"stats.{k}", "result": str(v)} for k, v in stats.items()]
    create_table_artifact(rows, key="daily-maintenance", description="Daily maintenance counts")
    return summary | {"stats": stats}


@flow(timeout_seconds=TIMEOUTS.short_flow_s)
def expire_postings(max_age_days: int = 60, settings_block: str | None = None) -> int:
    """Expire live postings past their valid_through, or not seen by any fetch for
    `max_age_days` (every 15 minutes). The posted date never expires a posting.

    Args:
        max_age_days: expire live postings no fetch has seen for this many days.
        settings_block: name of a `hirehound-settings` block (database URL, embeddings) to
            read settings from; empty: the worker's HIREHOUND_* environment.
    """
    configure(settings_block)
    expired = t.expire_postings(max_age_days)
    get_run_logger().info("expired %d postings", expired)
    return expired


@flow(timeout_seconds=TIMEOUTS.maintenance_flow_s)
def revalidate_duplicate_clusters(
    limit: int | None = None, settings_block: str | None = None
) -> Any:
    """Re-check duplicate clusters so merged or edited postings leave stale clusters.

    Args:
        limit: re-check at most this many multi-member clusters, least recently checked
            first; empty: the core's default (1,000).
        settings_block: name of a `hirehound-settings` block (database URL, embeddings) to
            read settings from; empty: the worker's HIREHOUND_* environment.
    """
    configure(settings_block)
    return t.revalidate(limit)


@flow(name="sweep-stuck-postings", timeout_seconds=TIMEOUTS.process_flow_s)
def sweep_stuck_postings(
    timeout_minutes: float = 60.0,
    limit: int = 4096,
    chunk_size: int = 512,
    parallel_chunks: int = 2,
    settings_block: str | None = None,
) -> dict[str, int]:
    """Drive on postings a crash left mid-pipeline (every 10 minutes).

    Takes postings stored for processing more than `timeout_minutes` ago and still not
    published (a killed worker, a chunk that failed for good, a failed `ingest-posting`) and
    runs them through the ingestion stages, from where each stopped. A posting with a dead
    letter of its own is left alone; one swept three times is dead-lettered.

    Args:
        timeout_minutes: how long a posting may wait for its chunk before it counts as left
            behind (longer than a bulk import's child runs may queue).
        limit: postings taken per run (the rest wait for the next run).
        chunk_size: postings per task run of the stages.
        parallel_chunks: chunks processed at the same time.
        settings_block: name of a `hirehound-settings` block (database URL, embeddings) to
            read settings from; empty: the worker's HIREHOUND_* environment.
    """
    from flows.ingest import _prefect, run_fetches

    configure(settings_block)
    ids = t.claim_stuck(timeout_minutes * 60.0, limit)
    totals: dict[str, int] = {"claimed": len(ids)}
    if ids:
        done = run_fetches([("stuck postings", lambda: {"ids": ids, "counts": {}})],
                           chunk_size, _prefect, parallel_chunks, fetch_step="sweep")
        del done["targets"]
        totals.update(done)
    get_run_logger().info("swept %s", totals)
    return totals


@flow(timeout_seconds=TIMEOUTS.short_flow_s)
def prune_old_runs(max_age_days: int = 7) -> int:
    """Delete flow runs that finished more than `max_age_days` ago (Prefect's database).

    Only the Prefect API is touched, so there is no `settings_block` to read.

    Args:
        max_age_days: delete runs (with their task runs and logs) that ended this many days
            ago or more.
    """
    return t.prune_flow_runs(max_age_days)


if __name__ == "__main__":
    daily_maintenance(recheck_limit=50)

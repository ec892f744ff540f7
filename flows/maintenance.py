"""Maintenance flows, each scheduled in prefect.yaml:

- `daily_maintenance` (02:00): expire, re-check links, archive, stats, vacuum/reindex;
- `expire_jobs` (every 15 min): expiry only, cheap;
- `revalidate_duplicate_clusters` (every 6 h);
- `prune_old_runs` (daily): delete old flow runs from the Prefect database.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from tasks import maintenance as t


def _connect() -> None:
    """Configure the database from the blocks (when present) over the environment."""
    from blocks import load_settings
    from hirehound.storage import db

    db.configure(load_settings())


@flow
def daily_maintenance(
    max_age_days: int = 60,
    recheck_limit: int = 500,
    recheck_per_second: float = 2.0,
    archive_after_days: int = 180,
    raw_payload_days: int = 90,
    vacuum: bool = True,
) -> dict[str, Any]:
    """Keep the corpus clean: expire, re-check, archive, count, then tidy the database."""
    _connect()
    expired = t.expire_stale(max_age_days)
    links = t.recheck_links(recheck_limit, recheck_per_second)
    archived = t.archive_postings(archive_after_days, raw_payload_days)
    stats = t.compute_stats()
    optimized = t.optimize_indexes(vacuum)
    summary = {"expired": expired, "links": links, "archived": archived, "optimized": optimized}
    rows = [{"step": k, "result": str(v)} for k, v in summary.items()]
    rows += [{"step": f"stats.{k}", "result": str(v)} for k, v in stats.items()]
    create_table_artifact(rows, key="daily-maintenance", description="Daily maintenance counts")
    return summary | {"stats": stats}


@flow
def expire_jobs(max_age_days: int = 60) -> int:
    """Expire postings past valid_through or older than `max_age_days` (every 15 minutes)."""
    _connect()
    expired = t.expire_stale(max_age_days)
    get_run_logger().info("expired %d postings", expired)
    return expired


@flow
def revalidate_duplicate_clusters(limit: int | None = None) -> Any:
    """Re-check duplicate clusters so merged or edited postings leave stale clusters."""
    _connect()
    return t.revalidate(limit)


@flow
def prune_old_runs(max_age_days: int = 7) -> int:
    """Delete flow runs that finished more than `max_age_days` ago (Prefect's database)."""
    return t.prune_flow_runs(max_age_days)


if __name__ == "__main__":
    daily_maintenance(recheck_limit=50)

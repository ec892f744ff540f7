"""Maintenance tasks: thin wrappers over `hirehound.maintenance`, plus pruning old flow runs
through the Prefect API (the one piece that needs Prefect)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import get_run_logger, task

from hirehound import concerns, maintenance
from hirehound.storage import db
from tasks._context import holds, rate_token
from tasks._retry import RETRY_JITTER, TIMEOUTS, backoff, retry_unless_bad_data

# Database work retries on connection trouble only (StorageError is retryable, bad SQL not).
_DB_RETRY: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": backoff(5.0, 2),
    "retry_jitter_factor": RETRY_JITTER,
    "retry_condition_fn": retry_unless_bad_data,
    "timeout_seconds": TIMEOUTS.maintenance_task_s,
}
_TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")


def _now() -> datetime:
    return datetime.now(UTC)


# Postings each task's stage record counts (tasks/_recorded.py): those it checked or moved.
def _checked(result: dict[str, int]) -> int:
    return result["checked"]


def _archived(result: dict[str, int]) -> int:
    return result["postings"]


@task(tags=["maintenance"], **_DB_RETRY)
@holds(concerns.MAINTENANCE, postings=int)
def expire_postings(max_age_days: int = 60) -> int:
    """Expire live postings past valid_through or not seen by any fetch for `max_age_days`
    (never by date posted)."""
    with db.transaction() as session:
        return maintenance.expire_postings(session, now=_now(), max_age_days=max_age_days)


@task(tags=["maintenance"], **_DB_RETRY)
@holds(concerns.MAINTENANCE, postings=None)
def purge_dead_letters(older_than_days: int) -> int:
    """Delete dead letters resolved more than `older_than_days` ago (open ones stay)."""
    from hirehound.storage import dead_letters

    with db.transaction() as session:
        return dead_letters.purge_resolved(session, older_than_days=older_than_days)


@task(tags=["maintenance", "scraping"], **_DB_RETRY)
@holds(concerns.MAINTENANCE, postings=_checked)
def recheck_links(limit: int = 500, per_second: float = 2.0) -> dict[str, int]:
    """HEAD the URLs of the `limit` least recently checked active postings; 404/410 removes
    them. Each request takes a slot of the shared `scraping-rate` limit (all workers)."""
    from hirehound import net

    settings = db.settings()
    with net.client(settings) as client, maintenance.HttpLinkChecker(
        client,
        per_second=per_second,
        before_request=lambda: rate_token(concerns.SCRAPING_RATE),
        deadline_s=settings.http_deadline_s,
    ) as checker:
        result = maintenance.recheck_postings(db.transaction, checker, now=_now(), limit=limit)
    return {
        "checked": result.checked,
        "alive": result.alive,
        "gone": result.gone,
        "unknown": result.unknown,
    }


@task(tags=["maintenance"], **_DB_RETRY)
@holds(concerns.MAINTENANCE, postings=None)
def compute_stats(day: date | None = None) -> dict[str, Any]:
    """Store and return the day's counts (default: today, UTC)."""
    with db.transaction() as session:
        return maintenance.compute_daily_stats(session, day=day or _now().date())


@task(tags=["maintenance"], **_DB_RETRY)
@holds(concerns.MAINTENANCE, postings=_archived)
def archive_postings(archive_after_days: int = 180, raw_payload_days: int = 90) -> dict[str, int]:
    """Archive long-dead postings and move their old raw payloads out of the hot table."""
    with db.transaction() as session:
        result = maintenance.archive_old(
            session,
            now=_now(),
            archive_after_days=archive_after_days,
            raw_payload_days=raw_payload_days,
        )
    return {"postings": result.archived_postings, "payloads": result.archived_payloads}


@task(tags=["maintenance", "indexing"], **_DB_RETRY)
@holds(concerns.INDEXING, postings=None)
def optimize_indexes(vacuum: bool = True, reindex: list[str] | None = None) -> dict[str, Any]:
    """VACUUM ANALYZE the hot tables; REINDEX CONCURRENTLY invalid (and named) indexes."""
    result = maintenance.optimize_database(db.engine(), vacuum=vacuum, reindex=reindex)
    return {"vacuumed": result.vacuumed, "reindexed": result.reindexed}


@task(tags=["maintenance", "deduplication"], **_DB_RETRY)
@holds(concerns.DEDUPLICATION, postings=None)
def revalidate(limit: int | None = None) -> Any:
    """Re-check duplicate clusters (`hirehound.dedup.revalidate_clusters`)."""
    import inspect

    from hirehound.dedup import revalidate_clusters  # written by the dedup work; lazy on purpose

    params = inspect.signature(revalidate_clusters).parameters
    kwargs: dict[str, Any] = {"limit": limit} if "limit" in params and limit else {}
    if "session" in params:
        with db.transaction() as session:
            return revalidate_clusters(session, **kwargs)
    return revalidate_clusters(**kwargs)


@task(
    tags=["maintenance"],
    retries=2,
    retry_delay_seconds=backoff(5.0, 2),
    retry_jitter_factor=RETRY_JITTER,
    timeout_seconds=TIMEOUTS.maintenance_task_s,
)
@holds(concerns.MAINTENANCE, postings=None)
def prune_flow_runs(max_age_days: int = 7, batch: int = 200, max_runs: int = 20_000) -> int:
    """Delete finished flow runs that ended more than `max_age_days` ago (their task runs
    and logs go with them); at most `max_runs` per call so one run stays short."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterEndTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound

    logger = get_run_logger()
    cutoff = _now() - timedelta(days=max_age_days)
    run_filter = FlowRunFilter(
        # Validated rather than passed: Prefect's DateTime is pendulum's on Python < 3.13.
        end_time=FlowRunFilterEndTime.model_validate({"before_": cutoff}),
        state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType(s) for s in _TERMINAL])
        ),
    )
    deleted = 0
    with get_client(sync_client=True) as client:
        while deleted < max_runs:
            runs = client.read_flow_runs(flow_run_filter=run_filter, limit=batch)
            if not runs:
                break
            for run in runs:
                try:
                    client.delete_flow_run(run.id)
                    deleted += 1
                except ObjectNotFound:  # pruned concurrently by another run
                    pass
    logger.info("pruned %d flow runs that ended before %s", deleted, cutoff.isoformat())
    return deleted


@task(tags=["maintenance"], **_DB_RETRY)
@holds(concerns.MAINTENANCE)
def claim_stuck(timeout_s: float, limit: int) -> list[int]:
    """Claim the postings left mid-pipeline for longer than `timeout_s` (at most `limit`);
    settle those that carry their own dead letter, give up on those swept too often."""
    from tasks.ingest import SWEEP_RETRY_STEPS

    with db.transaction() as session:
        claim = maintenance.claim_stuck(session, timeout_s=timeout_s, limit=limit,
                                        retry_steps=SWEEP_RETRY_STEPS)
    get_run_logger().info("sweep: %s", claim.summary())
    return claim.ids

"""Which sources are due, who crawls them, and what a result does to the schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from hirehound.storage.models import CrawlSource

# Failure backoff: the cadence doubled per failure in a row, never more than a day.
MAX_BACKOFF_S = 86400
# A source failing this many crawls in a row is disabled, with the last reason kept.
DEFAULT_MAX_FAILURES = 10


@dataclass(frozen=True)
class SourceSnapshot:
    """What a crawl run needs of a source, read once (no session kept across the network)."""

    id: int
    name: str
    kind: str
    target: str
    organization_hint: str | None
    min_interval_s: float
    etag: str | None
    last_modified: str | None


def claim(
    session: Session,
    *,
    claimer: str,
    lease_s: float,
    limit: int = 1000,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Claim due sources (or the given ones, due or not) for `lease_s` seconds.

    `FOR UPDATE SKIP LOCKED` plus the lease: two schedulers never take the same source, and a
    claim left by a crashed run lapses on its own. Disabled sources are never claimed.
    """
    stmt = (
        select(CrawlSource.id)
        .where(CrawlSource.enabled)
        .where((CrawlSource.claimed_until.is_(None)) | (CrawlSource.claimed_until < func.now()))
        .order_by(CrawlSource.next_due_at, CrawlSource.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is None:
        stmt = stmt.where(CrawlSource.next_due_at <= func.now())
    else:
        stmt = stmt.where(CrawlSource.id.in_(list(ids)))
    claimed = list(session.scalars(stmt))
    if claimed:
        session.execute(
            update(CrawlSource)
            .where(CrawlSource.id.in_(claimed))
            .values(claimed_until=func.now() + timedelta(seconds=lease_s), claimed_by=claimer)
        )
    return claimed


def release(session: Session, ids: Sequence[int]) -> None:
    """Let go of claims (a run that ends without crawling them)."""
    session.execute(
        update(CrawlSource).where(CrawlSource.id.in_(list(ids))).values(claimed_until=None)
    )


def snapshots(session: Session, ids: Sequence[int]) -> list[SourceSnapshot]:
    rows = session.scalars(
        select(CrawlSource).where(CrawlSource.id.in_(list(ids))).order_by(CrawlSource.id)
    )
    return [
        SourceSnapshot(s.id, s.name, s.kind, s.target, s.organization_hint, s.min_interval_s,
                       s.etag, s.last_modified)
        for s in rows
    ]


@dataclass
class CrawlResult:
    """What one crawl of a source did; `error` set means it failed."""

    status: str  # ok | not_modified | failed
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    postings_seen: int | None = None


def record_success(session: Session, source_id: int, result: CrawlResult) -> None:
    """Due again one cadence from now; failures forgotten; validators kept for next time."""
    values: dict[str, Any] = {
        "last_crawl_at": func.now(),
        "last_success_at": func.now(),
        "last_status": result.status,
        "last_error": None,
        "last_counts": result.counts,
        "consecutive_failures": 0,
        "claimed_until": None,
        "next_due_at": func.now() + CrawlSource.every_s * text("interval '1 second'"),
    }
    if result.status == "ok":
        values |= {"etag": result.etag, "last_modified": result.last_modified}
    if result.postings_seen is not None:
        values["postings_seen"] = result.postings_seen
    session.execute(update(CrawlSource).where(CrawlSource.id == source_id).values(**values))


def record_failure(
    session: Session, source_id: int, error: str, *, max_failures: int = DEFAULT_MAX_FAILURES
) -> tuple[int, bool]:
    """Back off (cadence x 2^failures, capped at a day); disable after `max_failures`.

    Returns the failures in a row and whether the source is now disabled.
    """
    row = session.execute(
        update(CrawlSource)
        .where(CrawlSource.id == source_id)
        .values(
            last_crawl_at=func.now(),
            last_status="failed",
            last_error=error[:2000],
            last_counts={},
            consecutive_failures=CrawlSource.consecutive_failures + 1,
            claimed_until=None,
            next_due_at=func.now() + func.least(
                CrawlSource.every_s * func.power(2, CrawlSource.consecutive_failures + 1),
                MAX_BACKOFF_S,
            ) * text("interval '1 second'"),
        )
        .returning(CrawlSource.consecutive_failures)
    ).one()
    failures = int(row[0])
    disabled = failures >= max_failures
    if disabled:
        session.execute(
            update(CrawlSource)
            .where(CrawlSource.id == source_id)
            .values(
                enabled=False,
                disabled_reason=f"{failures} failed crawls in a row; last: {error[:500]}",
            )
        )
    return failures, disabled

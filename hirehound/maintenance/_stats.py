"""Daily counts (postings by status and source, dead letters by step, clusters, orgs)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hirehound.storage.models import DailyStats


def compute_daily_stats(session: Session, *, day: date) -> dict[str, Any]:
    """Compute the counts for `day` (UTC), store them in `daily_stats` and return them."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    window = {"start": start, "end": end}

    def grouped(sql: str, params: dict[str, Any] | None = None) -> dict[str, int]:
        return {str(k): int(v) for k, v in session.execute(text(sql), params or {})}

    def scalar(sql: str, params: dict[str, Any] | None = None) -> int:
        return int(session.execute(text(sql), params or {}).scalar_one() or 0)

    counts: dict[str, Any] = {
        "postings_by_status": grouped("select status, count(*) from postings group by status"),
        "postings_by_source": grouped("select source, count(*) from postings group by source"),
        "postings_created": scalar(
            "select count(*) from postings where created_at >= :start and created_at < :end",
            window,
        ),
        "postings_expired": scalar(
            "select count(*) from postings where status = 'expired' "
            "and updated_at >= :start and updated_at < :end",
            window,
        ),
        "dead_letters_by_step": grouped(
            "select step, count(*) from dead_letters where created_at >= :start "
            "and created_at < :end group by step",
            window,
        ),
        "dead_letters_unresolved": scalar(
            "select count(*) from dead_letters where resolved_at is null"
        ),
        "clusters": scalar("select count(*) from duplicate_clusters"),
        "clusters_multi": scalar("select count(*) from duplicate_clusters where size > 1"),
        "organizations": scalar("select count(*) from organizations where merged_into_id is null"),
        "organizations_enriched": scalar(
            "select count(*) from organizations where enriched_at is not null"
        ),
    }
    stmt = insert(DailyStats).values(day=day, counts=counts)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[DailyStats.day],
            set_={"counts": stmt.excluded.counts, "computed_at": datetime.now(UTC)},
        )
    )
    return counts

"""Rows for tests, written through the models (new NOT NULL columns get their defaults)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hirehound.storage import db
from hirehound.storage.models import Posting, RawPosting


def add_posting(
    source_id: str,
    *,
    status: str = "active",
    age_days: float = 1,
    now: datetime | None = None,
    url: str | None = None,
    valid_through: datetime | None = None,
    updated_days: float | None = None,
    title: str | None = None,
) -> int:
    """One raw + normalized posting, posted `age_days` before `now`; returns its id."""
    now = now or datetime.now(UTC)
    posted = now - timedelta(days=age_days)
    updated = now - timedelta(days=updated_days if updated_days is not None else age_days)
    with db.transaction() as session:
        raw = RawPosting(
            source="generic",
            source_id=source_id,
            url=url,
            payload={"id": source_id, "html": "<p>x</p>"},
            record={"source_id": source_id},
            content_hash=source_id,
            fetched_at=posted,
        )
        session.add(raw)
        session.flush()
        session.add(
            Posting(
                id=raw.id,
                source="generic",
                source_id=source_id,
                url=url,
                title=title or f"Job {source_id}",
                status=status,
                date_posted=posted,
                valid_through=valid_through,
                created_at=posted,
                updated_at=updated,
            )
        )
        return raw.id

"""Expire postings past their `valid_through` date or older than a maximum age."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from hirehound.storage.models import Posting

log = logging.getLogger(__name__)

# Held postings expire too: once stale, nobody will ever publish them.
_LIVE = ("active", "held", "pending")


def expire_postings(session: Session, *, now: datetime, max_age_days: int = 60) -> int:
    """Mark live postings expired when `valid_through` passed or the posting is too old.

    Age is `date_posted`, else when we first stored it. Returns how many were expired.
    """
    if max_age_days < 1:
        raise ValueError(f"max_age_days must be >= 1, got {max_age_days}")
    cutoff = now - timedelta(days=max_age_days)
    stmt = (
        update(Posting)
        .where(Posting.status.in_(_LIVE))
        .where(
            or_(
                Posting.valid_through < now,
                Posting.date_posted < cutoff,
                (Posting.date_posted.is_(None)) & (Posting.created_at < cutoff),
            )
        )
        .values(
            status="expired",
            status_reason=f"valid_through passed or older than {max_age_days} days",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    count = session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]
    log.info("expired %d postings (cutoff %s)", count, cutoff.isoformat())
    return count

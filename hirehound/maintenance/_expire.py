"""Expire postings their source stopped listing, or whose `valid_through` passed.

A posting is live while its source still lists it: every fetch that sees it again (ingestion,
a link re-check that finds it alive) refreshes `postings.last_seen_at`. The posted date never
expires a posting on its own: boards keep postings from last year open, and one we saw today
is live whatever its `date_posted` says.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from hirehound.storage.models import Posting

log = logging.getLogger(__name__)

# Held postings expire too: once stale, nobody will ever publish them.
_LIVE = ("active", "held", "pending")


def expire_postings(session: Session, *, now: datetime, max_age_days: int = 60) -> int:
    """Mark live (active, held, pending) postings expired when their `valid_through` is
    before `now`, or when no fetch has seen them for `max_age_days` (`last_seen_at` before
    `now - max_age_days`). Never by `date_posted`.

    The status reason says which rule applied: "valid_through passed" (checked first) or
    "not seen for N days". Returns how many postings were expired.
    """
    if max_age_days < 1:
        raise ValueError(f"max_age_days must be >= 1, got {max_age_days}")
    cutoff = now - timedelta(days=max_age_days)
    rules = (
        (Posting.valid_through < now, "valid_through passed"),
        (Posting.last_seen_at < cutoff, f"not seen for {max_age_days} days"),
    )
    counts = []
    for condition, reason in rules:
        stmt = (
            update(Posting)
            .where(Posting.status.in_(_LIVE), condition)
            .values(status="expired", status_reason=reason, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        counts.append(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
    past, unseen = counts
    log.info(
        "expired %d postings: %d past valid_through, %d not seen since %s",
        past + unseen,
        past,
        unseen,
        cutoff.isoformat(),
    )
    return past + unseen

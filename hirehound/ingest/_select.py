"""Which stored postings a re-run covers: live ones, in id order, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirehound.storage.models import Posting

# Postings whose vectors and search documents readers see, or may see after review.
LIVE_STATUSES = ("active", "held")


def posting_ids_after(
    session: Session, after_id: int, limit: int, statuses: Sequence[str] = LIVE_STATUSES
) -> list[int]:
    """Up to `limit` ids above `after_id` in these statuses: keyset pages stay fast at any
    depth and never skip or repeat a posting while others are written."""
    return list(session.scalars(
        select(Posting.id)
        .where(Posting.id > after_id, Posting.status.in_(list(statuses)))
        .order_by(Posting.id)
        .limit(limit)
    ))

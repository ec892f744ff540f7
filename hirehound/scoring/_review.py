"""The operator's side of the two-level spam decision: list what is held, approve, reject.

Approving publishes the posting and keeps it published while its text is unchanged (the
`review:approved` mark in spam_reasons; a re-scored text replaces the reasons and needs a new
review). Rejecting makes it confirmed spam (`status = 'spam'`, `is_spam`), which the spam step's
similarity stage compares new postings against. Either way the posting's duplicate cluster
follows: a rejection holds the cluster's published members, an approval releases the members
held only because of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

APPROVED = "review:approved"
REJECTED = "review:rejected"
CLUSTER_HOLD = "suspected spam in its duplicate cluster"


@dataclass(frozen=True, slots=True)
class Held:
    """One posting waiting for review."""

    id: int
    status: str
    spam_score: float | None
    title: str
    company: str | None
    url: str | None
    reason: str | None
    cluster_id: int | None
    updated_at: datetime | None


def held_for_review(session: Session, *, limit: int = 50, spam: bool = False) -> list[Held]:
    """Postings held for a spam reason (or, with `spam`, those marked spam), highest score
    first. Postings held for low quality are not a spam review's business."""
    rows = session.execute(
        text(
            "select id, status, spam_score, title, company, url, status_reason, cluster_id, "
            "updated_at from postings where status = :status "
            "and (status = 'spam' or status_reason like 'suspected spam%' "
            "  or status_reason like 'spam:%') "
            "order by spam_score desc nulls last, id limit :n"
        ),
        {"status": "spam" if spam else "held", "n": limit},
    ).all()
    return [Held(*r) for r in rows]


def _known(session: Session, ids: Sequence[int]) -> list[int]:
    return list(
        session.scalars(
            text("select id from postings where id = any(cast(:ids as bigint[])) order by id"),
            {"ids": list(ids)},
        )
    )


def approve(session: Session, ids: Sequence[int]) -> list[int]:
    """Publish held or spam postings; returns the ids found (unknown ids are skipped)."""
    found = _known(session, ids)
    if not found:
        return []
    session.execute(
        text(
            "update postings set status = 'active', status_reason = null, is_spam = false, "
            "spam_reasons = array_append(array_remove(coalesce(spam_reasons,"
            " cast(array[] as text[])), :rejected), :approved), "
            "published_at = coalesce(published_at, now()), updated_at = now() "
            "where id = any(cast(:ids as bigint[]))"
        ),
        {"ids": found, "approved": APPROVED, "rejected": REJECTED},
    )
    # Members held only because of a flagged cluster member: released when none is left.
    session.execute(
        text(
            "update postings m set status = 'active', status_reason = null, updated_at = now() "
            "where m.status = 'held' and m.status_reason = :cluster_hold "
            "and m.cluster_id in (select cluster_id from postings "
            "  where id = any(cast(:ids as bigint[])) and cluster_id is not null) "
            "and not exists (select 1 from postings f where f.cluster_id = m.cluster_id "
            "  and f.id <> m.id and f.status in ('held', 'spam') "
            "  and coalesce(f.status_reason, '') <> :cluster_hold)"
        ),
        {"ids": found, "cluster_hold": CLUSTER_HOLD},
    )
    return found


def reject(session: Session, ids: Sequence[int]) -> list[int]:
    """Mark postings confirmed spam (known spam from now on); returns the ids found."""
    found = _known(session, ids)
    if not found:
        return []
    session.execute(
        text(
            "update postings set status = 'spam', status_reason = 'spam: rejected in review', "
            "is_spam = true, spam_score = greatest(coalesce(spam_score, 0), 1.0), "
            "spam_reasons = array_append(array_remove(coalesce(spam_reasons,"
            " cast(array[] as text[])), :approved), :rejected), updated_at = now() "
            "where id = any(cast(:ids as bigint[]))"
        ),
        {"ids": found, "approved": APPROVED, "rejected": REJECTED},
    )
    session.execute(
        text(
            "update postings m set status = 'held', status_reason = :cluster_hold, "
            "updated_at = now() from postings p "
            "where p.id = any(cast(:ids as bigint[])) and p.cluster_id = m.cluster_id "
            "and m.id <> p.id and m.status = 'active'"
        ),
        {"ids": found, "cluster_hold": CLUSTER_HOLD},
    )
    return found


__all__ = ["APPROVED", "CLUSTER_HOLD", "REJECTED", "Held", "approve", "held_for_review", "reject"]

"""Which postings a source lists: seen ones stay live, vanished ones close after enough misses.

Only a complete, successful fetch of a board may call `record_listing`: a partial or failed
fetch says nothing about what the board lists, so it never closes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

# A posting missing from this many complete crawls of its board in a row closes.
DEFAULT_CLOSE_AFTER = 2
_LIVE = ("active", "held", "pending")


@dataclass
class ListingChange:
    """What a complete crawl changed: postings closed, and how many are missing so far."""

    closed: list[int] = field(default_factory=list)
    missing: int = 0


def record_listing(
    session: Session,
    source_id: int,
    source_name: str,
    seen: Sequence[int] | None,
    *,
    close_after: int = DEFAULT_CLOSE_AFTER,
) -> ListingChange:
    """Record the raw posting ids a complete crawl saw (None: unchanged board, a 304).

    Seen postings are live again (`missed` 0, `last_seen_at` now). Every other posting the
    source listed before misses once more; at `close_after` misses it is `closed` and leaves
    search, unless another source still lists it. A closed posting that reappears is
    reprocessed by the caller (`store_raw` sends closed postings through the steps again).
    """
    if close_after < 1:
        raise ValueError(f"close_after must be >= 1, got {close_after}")
    if seen is None:
        # The board is as it was: what it listed is still listed, what it lacked still lacks.
        seen = list(session.scalars(
            text("select raw_posting_id from source_listings "
                 "where source_id = :s and missed = 0"), {"s": source_id}))
    else:
        session.execute(
            text(
                "insert into source_listings (source_id, raw_posting_id, last_seen_at, missed) "
                "select :s, unnest(cast(:ids as bigint[])), now(), 0 "
                "on conflict (source_id, raw_posting_id) "
                "do update set last_seen_at = now(), missed = 0"
            ),
            {"s": source_id, "ids": list(seen)},
        )
    session.execute(
        text("update postings set last_seen_at = now() where id = any(:ids)")
        .bindparams(bindparam("ids")),
        {"ids": list(seen)},
    )
    missing = list(session.execute(
        text(
            "update source_listings set missed = least(missed + 1, 32000) "
            "where source_id = :s and not (raw_posting_id = any(:ids)) "
            "returning raw_posting_id, missed"
        ).bindparams(bindparam("ids")),
        {"s": source_id, "ids": list(seen)},
    ))
    due = [r.raw_posting_id for r in missing if r.missed >= close_after]
    change = ListingChange(missing=len(missing))
    if due:
        change.closed = list(session.scalars(
            text(
                "update postings p set status = 'closed', status_reason = :why, "
                "updated_at = now() "
                "where p.id = any(:ids) and p.status = any(:live) "
                # Another source that still lists it keeps it open.
                "and not exists (select 1 from source_listings o where o.raw_posting_id = p.id "
                "  and o.source_id <> :s and o.missed < :n) "
                "returning p.id"
            ).bindparams(bindparam("ids"), bindparam("live")),
            {"ids": due, "live": list(_LIVE), "s": source_id, "n": close_after,
             "why": f"no longer listed by {source_name}"},
        ))
        _hand_over_clusters(session, change.closed)
    return change


def _hand_over_clusters(session: Session, closed: Sequence[int]) -> None:
    """A closed canonical hands its cluster to a live member, so search still shows the job."""
    from hirehound.dedup import refresh_canonical
    from hirehound.search import index_postings

    clusters = list(session.scalars(
        text("select distinct cluster_id from postings where id = any(:ids) "
             "and cluster_id is not null").bindparams(bindparam("ids")),
        {"ids": list(closed)},
    ))
    if not clusters:
        return
    refresh_canonical(session, clusters)
    canonicals = list(session.scalars(
        text("select canonical_posting_id from duplicate_clusters where id = any(:c) "
             "and canonical_posting_id is not null").bindparams(bindparam("c")),
        {"c": clusters},
    ))
    index_postings(session, canonicals)


def unfinished(session: Session, source_id: int) -> list[int]:
    """Listed postings that never finished the steps (a run died mid-way): to process again.

    An unchanged board answers 304 and would otherwise never hand them out again.
    """
    return list(session.scalars(
        text(
            "select l.raw_posting_id from source_listings l "
            "left join postings p on p.id = l.raw_posting_id "
            "where l.source_id = :s and l.missed = 0 "
            "and (p.id is null or p.step is distinct from 'publish') "
            # Dead-lettered ones wait for a replay, not for every crawl.
            "and not exists (select 1 from dead_letters d "
            "  where d.posting_id = l.raw_posting_id and d.resolved_at is null)"
        ),
        {"s": source_id},
    ))

"""One crawl of one source: a conditional fetch, then raw storage and the listing bookkeeping.

Split in two on purpose: `fetch_board` talks to the network and holds no database session;
`store_board` writes in one short transaction, so a slow board never holds a connection.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select, text, tuple_
from sqlalchemy.orm import Session

from hirehound.crawl._listings import DEFAULT_CLOSE_AFTER, record_listing, unfinished
from hirehound.crawl._schedule import CrawlResult, SourceSnapshot
from hirehound.ingest import bad_record_letter, store_raw
from hirehound.records import BadRecord, DeadLetter, SourcePosting
from hirehound.settings import Settings
from hirehound.sources._detect import fetch_target
from hirehound.sources._http import BeforeRequest, Fetched, fetch_conditional
from hirehound.sources._read import complete_payload, parse_payload
from hirehound.storage.models import RawPosting


def resolve(target: str, kind: str) -> str:
    """The URL to fetch for a registry target (a board shorthand becomes its API URL)."""
    return fetch_target(target, kind)[1]


@dataclass
class BoardFetch:
    """A fetched board: its parsed items, or nothing new (304)."""

    source: SourceSnapshot
    response: Fetched
    items: list[SourcePosting | BadRecord] = field(default_factory=list)


def fetch_board(
    source: SourceSnapshot,
    *,
    settings: Settings,
    client: httpx.Client | None = None,
    before_request: BeforeRequest | None = None,
    previous: Callable[[], Mapping[str, Any]] | None = None,
) -> BoardFetch:
    """Fetch with the validators of the last crawl and parse the whole board.

    `previous()` (called only by sources that fetch per-posting details, and only when the
    board changed) gives what the board listed last time (`listed_payloads`), so unchanged
    postings cost no request. Raises SourceUnavailable / SourceFormatError when the board
    cannot be read completely: then nothing is stored and nothing closes.
    """
    url = resolve(source.target, source.kind)
    response = fetch_conditional(
        url, settings=settings, client=client, etag=source.etag,
        last_modified=source.last_modified, before_request=before_request,
    )
    if response.not_modified:
        return BoardFetch(source, response)
    # Paged APIs and APIs with the description elsewhere: the rest of the board, or an error
    # (then nothing is stored and nothing closes).
    body = complete_payload(source.kind, response.body, response.url, settings=settings,
                            client=client, before_request=before_request, previous=previous)
    items = list(parse_payload(source.kind, body, origin=url))
    if source.organization_hint:
        items = [_with_employer(i, source.organization_hint) for i in items]
    return BoardFetch(source, response, items)


def listed_payloads(session: Session, source_id: int) -> dict[str, Any]:
    """Source id -> raw payload of every posting the source listed at its last crawl."""
    rows = session.execute(text(
        "select r.source_id, r.payload from source_listings l "
        "join raw_postings r on r.id = l.raw_posting_id "
        "where l.source_id = :s and l.missed = 0"), {"s": source_id})
    return {r.source_id: r.payload for r in rows}


def _with_employer(item: SourcePosting | BadRecord, hint: str) -> SourcePosting | BadRecord:
    # Board APIs that name no employer (Ashby) fall back on the board slug; the registry's
    # name ("Stripe" for greenhouse:stripe) is better.
    if isinstance(item, SourcePosting) and not item.company:
        return dataclasses.replace(item, company=hint)
    return item


@dataclass
class StoredBoard:
    """What `store_board` did: the result for the registry, ids to process, dead letters."""

    result: CrawlResult
    to_process: list[int]
    dead: list[DeadLetter]


def store_board(
    session: Session,
    board: BoardFetch,
    *,
    force: bool = False,
    close_after: int = DEFAULT_CLOSE_AFTER,
) -> StoredBoard:
    """Store a complete fetch raw, record which postings the board lists, close vanished ones."""
    src, response = board.source, board.response
    if response.not_modified:
        change = record_listing(session, src.id, src.name, None, close_after=close_after)
        again = unfinished(session, src.id)
        counts = {"not_modified": 1, "closed": len(change.closed), "retried": len(again)}
        return StoredBoard(CrawlResult("not_modified", counts), again, [])

    good = [i for i in board.items if isinstance(i, SourcePosting)]
    bad = [i for i in board.items if isinstance(i, BadRecord)]
    stored = store_raw(session, good, force=force)
    seen = [*stored.to_process, *stored.unchanged, *_known_ids(session, bad)]
    change = record_listing(session, src.id, src.name, seen, close_after=close_after)
    created = len(stored.created)
    counts = {
        "read": len(board.items),
        "new": created,
        "changed": len(stored.to_process) - created,
        "unchanged": len(stored.unchanged),
        "closed": len(change.closed),
        "missing": change.missing,
        "dead_letters_parse": len(bad) + len(stored.dead),
    }
    result = CrawlResult("ok", counts, etag=response.etag,
                         last_modified=response.last_modified, postings_seen=len(seen))
    return StoredBoard(result, stored.to_process, [bad_record_letter(b) for b in bad] + stored.dead)


def _known_ids(session: Session, bad: Sequence[BadRecord]) -> list[int]:
    """Raw ids of postings whose record is broken this time: still listed, so never closed."""
    keys = [(b.source, b.source_id) for b in bad if b.source_id]
    if not keys:
        return []
    return list(session.scalars(
        select(RawPosting.id).where(tuple_(RawPosting.source, RawPosting.source_id).in_(keys))
    ))

"""Archive postings that are long dead and move their raw payloads out of the hot table."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    archived_postings: int
    archived_payloads: int


def archive_old(
    session: Session,
    *,
    now: datetime,
    archive_after_days: int = 180,
    raw_payload_days: int = 90,
) -> ArchiveResult:
    """Expired/removed postings untouched for `archive_after_days` become `archived`; raw
    payloads of archived postings fetched more than `raw_payload_days` ago move to
    `raw_payload_archive` (the raw row stays, with an empty payload, for the foreign key)."""
    posting_cutoff = now - timedelta(days=archive_after_days)
    payload_cutoff = now - timedelta(days=raw_payload_days)
    archived = session.execute(
        text(
            "update postings set status = 'archived', updated_at = :now "
            "where status in ('expired', 'removed') and updated_at < :cutoff"
        ),
        {"now": now, "cutoff": posting_cutoff},
    ).rowcount  # type: ignore[attr-defined]
    moved = session.execute(
        text(
            """
            with moved as (
                update raw_postings r set payload = '{}'::jsonb
                from postings p, raw_postings old
                where p.id = r.id and old.id = r.id and p.status = 'archived'
                  and r.fetched_at < :cutoff and r.payload <> '{}'::jsonb
                returning r.id, r.source, r.source_id, old.payload, r.fetched_at
            )
            insert into raw_payload_archive (raw_posting_id, source, source_id, payload, fetched_at)
            select id, source, source_id, payload, fetched_at from moved
            on conflict (raw_posting_id) do update set payload = excluded.payload,
                archived_at = now()
            """
        ),
        {"cutoff": payload_cutoff},
    ).rowcount  # type: ignore[attr-defined]
    log.info("archived %d postings, moved %d raw payloads", archived, moved)
    return ArchiveResult(archived_postings=archived or 0, archived_payloads=moved or 0)

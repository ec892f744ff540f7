"""Re-check that active postings still exist at their URL (HEAD, falling back to GET).

The checker is injected: `HttpLinkChecker` in production, any `(url) -> LinkStatus`
callable in tests. It paces itself (`per_second`) and can call `before_request` first, which
the Prefect task uses to take a slot of the `scraping-rate` limit shared by all workers.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hirehound.storage.models import Posting, PostingCheck

log = logging.getLogger(__name__)

Outcome = Literal["alive", "gone", "unknown"]
# A posting is removed only when the board says so; timeouts and 5xx prove nothing.
_GONE = frozenset({404, 410})


class LinkStatus(NamedTuple):
    outcome: Outcome
    status_code: int | None = None


@dataclass(frozen=True, slots=True)
class RecheckResult:
    checked: int
    alive: int
    gone: int
    unknown: int


class HttpLinkChecker:
    """HEAD (then GET when HEAD is refused) a posting URL, paced to `per_second` requests."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        per_second: float = 2.0,
        allow_private: bool = False,
        before_request: Callable[[], None] | None = None,
    ) -> None:
        if per_second <= 0:
            raise ValueError(f"per_second must be > 0, got {per_second}")
        self._client = client
        self._interval = 1.0 / per_second
        self._allow_private = allow_private
        self._before = before_request
        self._lock = threading.Lock()
        self._next = 0.0

    def _pace(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            time.sleep(wait)
        if self._before is not None:
            self._before()

    def _refused(self, url: str) -> bool:
        host = urlsplit(url).hostname
        if not host:
            return True
        if self._allow_private:
            return False
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False  # let the request fail and report "unknown"
        for info in infos:
            ip = ipaddress.ip_address(info[4][0])
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
                return True
        return False

    def __call__(self, url: str) -> LinkStatus:
        if not url.startswith(("http://", "https://")) or self._refused(url):
            return LinkStatus("unknown")
        try:
            self._pace()
            resp = self._client.head(url, follow_redirects=True)
            if resp.status_code in (405, 501) or resp.status_code == 403:
                # Some boards refuse HEAD; ask for the page but don't read the body.
                self._pace()
                with self._client.stream("GET", url, follow_redirects=True) as streamed:
                    resp = streamed
        except httpx.HTTPError as exc:
            log.debug("link check %s failed: %s", url, exc)
            return LinkStatus("unknown")
        code = resp.status_code
        if code in _GONE:
            return LinkStatus("gone", code)
        if code < 400:
            return LinkStatus("alive", code)
        return LinkStatus("unknown", code)


def recheck_postings(
    session: Session,
    check: Callable[[str], LinkStatus],
    *,
    now: datetime,
    limit: int = 500,
) -> RecheckResult:
    """Check the `limit` active postings checked longest ago; 404/410 marks them removed."""
    rows = session.execute(
        select(Posting.id, Posting.url)
        .outerjoin(PostingCheck, PostingCheck.posting_id == Posting.id)
        .where(Posting.status == "active", Posting.url.is_not(None))
        .order_by(PostingCheck.checked_at.asc().nulls_first(), Posting.id)
        .limit(limit)
    ).all()
    tally = {"alive": 0, "gone": 0, "unknown": 0}
    for posting_id, url in rows:
        status = check(url or "")
        tally[status.outcome] += 1
        stmt = insert(PostingCheck).values(
            posting_id=posting_id,
            checked_at=now,
            outcome=status.outcome,
            status_code=status.status_code,
            consecutive_failures=int(status.outcome == "unknown"),
        )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[PostingCheck.posting_id],
                set_={
                    "checked_at": now,
                    "outcome": status.outcome,
                    "status_code": status.status_code,
                    "consecutive_failures": (PostingCheck.consecutive_failures + 1)
                    if status.outcome == "unknown"
                    else 0,
                },
            )
        )
        if status.outcome == "gone":
            session.execute(
                update(Posting)
                .where(Posting.id == posting_id)
                .values(
                    status="removed",
                    status_reason=f"url answered {status.status_code}",
                    updated_at=now,
                )
            )
        elif status.outcome == "alive":
            session.execute(
                update(Posting).where(Posting.id == posting_id).values(last_seen_at=now)
            )
    result = RecheckResult(checked=len(rows), **tally)
    log.info("re-checked %d postings: %s", len(rows), tally)
    return result

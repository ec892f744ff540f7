"""Re-check that active postings still exist at their URL (HEAD, falling back to GET).

The checker is injected: `HttpLinkChecker` in production, any `(url) -> LinkStatus`
callable in tests. It goes through the guarded HTTP layer (`hirehound.net`: posting URLs come
from the outside, so every hop is checked and pinned), paces itself (`per_second`) and calls
`before_request` before every request, which the Prefect task uses to take a slot of the
`scraping-rate` limit shared by all workers.

No transaction is held while the network is asked: the ids are read in one short
transaction, and results are written in short ones every `WRITE_EVERY` checks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hirehound import net
from hirehound.storage.models import Posting, PostingCheck

log = logging.getLogger(__name__)

Outcome = Literal["alive", "gone", "unknown"]
SessionFactory = Callable[[], AbstractContextManager[Session]]
# A posting is removed only when the board says so; timeouts and 5xx prove nothing.
_GONE = frozenset({404, 410})
# Results are written every this many checks (a crash loses at most these; they are
# simply checked again next time).
WRITE_EVERY = 25
# A link check is cheap to repeat tomorrow: one retry, short waits, a short Retry-After cap.
RETRY = net.RetryPolicy(attempts=2, initial_s=0.5, max_s=5.0, retry_after_cap_s=10.0)


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
    """HEAD (then GET when HEAD is refused) a posting URL, paced to `per_second` requests.

    `client` is used when it is a `hirehound.net.GuardedClient`; for any other client (or
    none) the checker makes its own guarded one with the same timeout and User-Agent, so no
    request ever leaves unguarded. Close it with `close()` (or use it as a context manager).
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        per_second: float = 2.0,
        allow_private: bool = False,
        allowed_networks: Sequence[str] = (),
        before_request: Callable[[], None] | None = None,
        deadline_s: float = 30.0,
        retry: net.RetryPolicy = RETRY,
        resolver: net.Resolver | None = None,
    ) -> None:
        if per_second <= 0:
            raise ValueError(f"per_second must be > 0, got {per_second}")
        self._own = not isinstance(client, net.GuardedClient)
        if isinstance(client, net.GuardedClient):
            self._client = client
        else:
            timeout = client.timeout.read if client is not None else None
            self._client = net.GuardedClient(
                net.AddressPolicy.of(
                    allow_private=allow_private, allow=allowed_networks, resolver=resolver
                ),
                timeout=timeout or 20.0,
                user_agent=client.headers.get("user-agent") if client is not None else None,
            )
        self._interval = 1.0 / per_second
        self._before = before_request
        self._deadline_s = deadline_s
        self._retry = retry
        self._lock = threading.Lock()
        self._next = 0.0

    def close(self) -> None:
        if self._own:
            self._client.close()

    def __enter__(self) -> HttpLinkChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pace(self, url: str = "") -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            time.sleep(wait)
        if self._before is not None:
            self._before()

    def _once(self, url: str) -> LinkStatus:
        resp = net.fetch(self._client, url, method="HEAD", read_body=False,
                         deadline_s=self._deadline_s, before_request=self._pace)
        if resp.status in (403, 405, 501):
            # Some boards refuse HEAD; ask for the page but don't read the body.
            resp = net.fetch(self._client, url, read_body=False,
                             deadline_s=self._deadline_s, before_request=self._pace)
        retry = net.retryable_status(resp)
        if retry is not None:
            raise retry
        code = resp.status
        if code in _GONE:
            return LinkStatus("gone", code)
        if code < 400:
            return LinkStatus("alive", code)
        return LinkStatus("unknown", code)

    def __call__(self, url: str) -> LinkStatus:
        if not url.startswith(("http://", "https://")):
            return LinkStatus("unknown")
        try:
            return self._retry.call(lambda: self._once(url), what="link check")
        except net.Retryable as exc:
            log.debug("link check %s failed: %s", net.redact_url(url), exc)
            return LinkStatus("unknown", exc.status)
        except net.NetError as exc:  # refused address, too many redirects
            log.info("link check %s refused: %s", net.redact_url(url), exc)
            return LinkStatus("unknown")


def recheck_postings(
    transaction: SessionFactory,
    check: Callable[[str], LinkStatus],
    *,
    now: datetime,
    limit: int = 500,
) -> RecheckResult:
    """Check the `limit` active postings checked longest ago; 404/410 marks them removed.

    `transaction()` opens a short transaction (`db.transaction`): one to read the ids, then
    one per `WRITE_EVERY` results; none is open while a URL is being checked.
    """
    with transaction() as session:
        rows = session.execute(
            select(Posting.id, Posting.url)
            .outerjoin(PostingCheck, PostingCheck.posting_id == Posting.id)
            .where(Posting.status == "active", Posting.url.is_not(None))
            .order_by(PostingCheck.checked_at.asc().nulls_first(), Posting.id)
            .limit(limit)
        ).all()
    tally = {"alive": 0, "gone": 0, "unknown": 0}
    pending: list[tuple[int, LinkStatus]] = []
    for posting_id, url in rows:
        status = check(url or "")
        tally[status.outcome] += 1
        pending.append((posting_id, status))
        if len(pending) >= WRITE_EVERY:
            with transaction() as session:
                _write(session, pending, now)
            pending = []
    if pending:
        with transaction() as session:
            _write(session, pending, now)
    result = RecheckResult(checked=len(rows), **tally)
    log.info("re-checked %d postings: %s", len(rows), tally)
    return result


def _write(session: Session, results: list[tuple[int, LinkStatus]], now: datetime) -> None:
    for posting_id, status in results:
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
                # Still active: it may have expired or been archived while we were asking.
                .where(Posting.id == posting_id, Posting.status == "active")
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

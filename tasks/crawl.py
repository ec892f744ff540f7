"""Thin Prefect tasks over the crawl core: claim due sources, crawl one board.

Every request a crawl makes takes a slot of the `scraping-rate` limit through Prefect's
global concurrency API (so the limit binds across every worker of the pool) and then waits
out its host's politeness interval, kept in PostgreSQL for the same reason.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import DBAPIError

from hirehound import concerns, crawl, net
from tasks._context import holds, rate_token, run_step, settings
from tasks._retry import TIMEOUTS

log = logging.getLogger(__name__)

SCRAPING_RATE_LIMIT = concerns.SCRAPING_RATE
# Never wait forever for a rate-limit slot: a child run gives up on a board after this.
RATE_LIMIT_TIMEOUT_S = 600.0

_CRAWL: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}


def polite(min_interval_s: float, rate_limit_name: str | None = SCRAPING_RATE_LIMIT) -> Any:
    """The hook run before every request: a rate-limit slot, then the host's interval."""
    from hirehound.storage import db

    def before_request(url: str) -> None:
        if rate_limit_name:
            # Without `hirehound setup` (a temporary local API) there is no limit to take,
            # and a crawl from the CLI goes on at the politeness pace. Counted for the
            # exporter (written with the stage's record, or a flush of its own).
            try:
                rate_token(rate_limit_name, RATE_LIMIT_TIMEOUT_S)
            except Exception as exc:  # the Prefect API, not the board, failed
                raise NotCrawled(f"no {rate_limit_name} slot: {exc}") from exc
        wait = crawl.reserve(db.engine(), url, min_interval_s)
        if wait > 0:
            time.sleep(wait)

    return before_request


_local = threading.local()


def _client() -> httpx.Client:
    """One guarded HTTP client per thread, kept across boards (connections are reused; the TLS
    context, ~20 ms of CPU, is shared by the process). Rebuilt when the settings change."""
    s = settings()
    client: net.GuardedClient | None = getattr(_local, "client", None)
    if client is None or client.is_closed or getattr(_local, "settings", None) != s:
        if client is not None:
            client.close()
        client = net.client(s)
        _local.client, _local.settings = client, s
    return client


@task(tags=["cron"], timeout_seconds=TIMEOUTS.database_task_s, **_CRAWL)
@holds(concerns.CRON, postings=None)
def claim_sources(
    claimer: str, lease_s: float, limit: int, ids: Sequence[int] | None = None
) -> list[int]:
    """Take the due sources (or the named ones) for this run; nobody else gets them."""
    return list(run_step(crawl.claim, claimer=claimer, lease_s=lease_s, limit=limit,
                         ids=list(ids) if ids is not None else None))


class NotCrawled(Exception):
    """Our side failed (the Prefect API, our database), not the board: no backoff for it."""


class BoardFailed(Exception):
    """A board that could not be crawled; its source is already backed off.

    `error_type` names the underlying error for the dead letter (the wrapper says nothing).
    """

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@task(tags=["scraping"], retries=0, timeout_seconds=TIMEOUTS.crawl_board_s, **_CRAWL)
@holds(concerns.SCRAPING)
def crawl_board(
    source: crawl.SourceSnapshot,
    *,
    force: bool = False,
    close_after: int = crawl.DEFAULT_CLOSE_AFTER,
    max_failures: int = crawl.DEFAULT_MAX_FAILURES,
    rate_limit_name: str | None = SCRAPING_RATE_LIMIT,
) -> dict[str, Any]:
    """Fetch one board (conditionally), store it raw, close what vanished; ids to process.

    No task retries: the HTTP layer retries with backoff and Retry-After. A board that fails
    is backed off in the registry and the task fails, so the UI shows it; the flow goes on.
    """
    try:
        board = crawl.fetch_board(
            source, settings=settings(), client=_client(),
            before_request=polite(source.min_interval_s, rate_limit_name),
            previous=lambda: run_step(crawl.listed_payloads, source.id),
        )

        def store(session: Any) -> crawl.StoredBoard:
            stored = crawl.store_board(session, board, force=force, close_after=close_after)
            crawl.record_success(session, source.id, stored.result)
            return stored

        stored: crawl.StoredBoard = run_step(store)
    except (NotCrawled, DBAPIError) as exc:
        # Not the board's fault: it is due again once its claim is let go, and its failure
        # count (towards being disabled) is left alone.
        with contextlib.suppress(Exception):
            run_step(crawl.release, [source.id])
        raise BoardFailed(f"not crawled: {exc}", type(exc).__name__) from exc
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        failures, disabled = run_step(
            crawl.record_failure, source.id, reason, max_failures=max_failures
        )
        note = " and is now disabled" if disabled else ""
        raise BoardFailed(
            f"{exc} ({failures} failures in a row{note})", type(exc).__name__
        ) from exc
    # The board's bad records went to the dead letters with the rest (run_step reads `.dead`).
    return {"ids": stored.to_process, "counts": stored.result.counts}

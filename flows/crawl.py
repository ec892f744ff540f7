"""Continuous crawling: due sources fanned out over the work pool, each crawled and processed.

    crawl_due_sources (cron, every 5 minutes, `cron` queue)
        claim due sources (FOR UPDATE SKIP LOCKED + a lease) ─► batches of boards
        ─► one child run of `crawl-sources` per batch (`scraping` queue: every worker takes
           a share, the queue's limit binds across all of them) ─► wait ─► summary
    crawl_sources (child)
        per board: conditional fetch (rate-limit slot + host politeness) ─► store raw
        ─► listing: seen stay live, vanished close after N misses ─► chunk stages (ingest)

Without a deployed `crawl-sources` (the CLI on a temporary API), batches run as subflows in
this process instead.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from sqlalchemy import select

from flows._fanout import FINAL, POLL_S, parent_key, start_child, state_of, wait_for
from flows._fanout import deployed as _deployed
from flows._runtime import configure
from flows.dead_letters import announce_dead_letters
from flows.ingest import (
    Fetch,
    _database_now,
    _prefect,
    _task_run_log_level,
    announce_new_organizations,
    flow_run_id,
    run_fetches,
)
from hirehound import crawl
from tasks import crawl as t
from tasks._context import limit_exists
from tasks._retry import TIMEOUTS

CHILD_DEPLOYMENT = "crawl-sources/crawl-sources"
_STATUSES = ("ok", "not_modified", "failed")


def _board_fetches(
    sources: Sequence[crawl.SourceSnapshot],
    outcomes: dict[str, dict[str, Any]],
    *,
    force: bool,
    close_after: int,
    max_failures: int,
    rate_limit_name: str | None,
) -> Iterator[Fetch]:
    for source in sources:
        def fetch(source: crawl.SourceSnapshot = source) -> dict[str, Any]:
            try:
                got = _prefect(t.crawl_board, source, force=force, close_after=close_after,
                               max_failures=max_failures, rate_limit_name=rate_limit_name)
            except Exception as exc:
                outcomes[source.name] = {"status": "failed", "error": str(exc)[:300]}
                raise
            outcomes[source.name] = {"status": "ok", **got["counts"]}
            return {"ids": got["ids"], "counts": got["counts"] | {"boards": 1}}
        yield source.name, fetch


@flow(name="crawl-sources", timeout_seconds=TIMEOUTS.crawl_flow_s)
def crawl_sources(
    source_ids: list[int],
    settings_block: str | None = None,
    chunk_size: int = 512,
    parallel_chunks: int = 2,
    force: bool = False,
    close_after: int = crawl.DEFAULT_CLOSE_AFTER,
    max_failures: int = crawl.DEFAULT_MAX_FAILURES,
) -> dict[str, int]:
    """Crawl a batch of sources and process what changed (a child run of the crawl).

    Args:
        source_ids: registry ids of the sources (claimed by the parent run).
        settings_block: name of a `hirehound-settings` block to read settings from.
        chunk_size: postings per task run of the processing stages.
        parallel_chunks: chunks processed at the same time (2 suits a 2-core worker).
        force: reprocess postings even when unchanged.
        close_after: complete crawls in a row a posting must be missing from to close.
        max_failures: failed crawls in a row after which a source is disabled.
    """
    configure(settings_block)
    from hirehound.storage import db

    with db.transaction() as session:
        sources = crawl.snapshots(session, source_ids)
    outcomes: dict[str, dict[str, Any]] = {}
    limit = t.SCRAPING_RATE_LIMIT if limit_exists(t.SCRAPING_RATE_LIMIT) else None
    if limit is None:
        get_run_logger().warning(
            "no %r rate limit on this Prefect server (run `hirehound setup`): crawling at the "
            "hosts' politeness pace only", t.SCRAPING_RATE_LIMIT)
    fetches = _board_fetches(sources, outcomes, force=force, close_after=close_after,
                             max_failures=max_failures, rate_limit_name=limit)
    with _task_run_log_level(logging.WARNING):
        try:
            totals = run_fetches(fetches, chunk_size, _prefect, parallel_chunks,
                                 fetch_step="crawl")
        finally:
            rows = [{"source": name, **o} for name, o in sorted(outcomes.items())]
            if rows:
                create_table_artifact(rows, key="crawl-sources",
                                      description="What each board of this run did")
    run = flow_run_id()
    totals["new_organizations"] = announce_new_organizations([run] if run else [], settings_block)
    announce_dead_letters([run] if run else [], totals["read"])
    get_run_logger().info("crawled %d sources: %s", len(sources), dict(totals))
    return dict(totals)


def _batches(ids: Sequence[int], boards_per_run: int, min_runs: int) -> list[list[int]]:
    """Split into runs of at most `boards_per_run`, and into at least `min_runs` when there
    are that many boards, so a small round still spreads over the pool's workers."""
    if not ids:
        return []
    runs = max(math.ceil(len(ids) / max(1, boards_per_run)), min(len(ids), max(1, min_runs)))
    size = math.ceil(len(ids) / runs)
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]


def _fan_out(batches: list[list[int]], names: dict[int, str], parameters: dict[str, Any],
             timeout_s: float) -> dict[int, tuple[str, str]]:
    """One child run per batch on the pool; wait for all; {source id: (run name, state)}."""
    parent = parent_key()
    runs = {}
    for n, batch in enumerate(batches, 1):
        first = names[batch[0]]
        child = start_child(
            CHILD_DEPLOYMENT,
            {**parameters, "source_ids": batch},
            # A retried parent must not start the same batch twice.
            key=f"{parent}:{n}:{batch[0]}",
            name=f"crawl {n}/{len(batches)}: {first}"
            + (f" +{len(batch) - 1}" if len(batch) > 1 else ""),
        )
        runs[child.id] = (child.name, batch)
    seen = wait_for(list(runs), timeout_s, poll_s=POLL_S)
    return {sid: (name, state_of(seen.get(rid)))
            for rid, (name, batch) in runs.items() for sid in batch}


@flow(name="crawl-due-sources", timeout_seconds=TIMEOUTS.crawl_flow_s)
def crawl_due_sources(
    limit: int = 1000,
    boards_per_run: int = 25,
    min_runs: int = 5,
    names: list[str] | None = None,
    use_pool: bool | None = None,
    settings_block: str | None = None,
    chunk_size: int = 512,
    close_after: int = crawl.DEFAULT_CLOSE_AFTER,
    max_failures: int = crawl.DEFAULT_MAX_FAILURES,
    lease_s: float = 3600.0,
    wait_timeout_s: float = 3300.0,
) -> dict[str, Any]:
    """Crawl every due source (or the named ones, due or not), spread over the work pool.

    Args:
        limit: most sources taken in one run (the rest stay due for the next).
        boards_per_run: most boards per child run (a child run on a process worker costs
            6-11 s of start-up, measured: small boards go together).
        min_runs: split into at least this many child runs when there are enough boards, so
            every worker of the pool takes a share (the `scraping` queue's limit is 5).
        names: crawl these sources now, due or not (`hirehound sources crawl NAME`).
        use_pool: child runs of the `crawl-sources` deployment (true), subflows in this
            process (false), or whichever is possible (empty: the pool when it is deployed).
        settings_block: name of a `hirehound-settings` block to read settings from.
        chunk_size: postings per task run of the processing stages.
        close_after: complete crawls in a row a posting must be missing from to close.
        max_failures: failed crawls in a row after which a source is disabled.
        lease_s: how long a claim keeps other schedulers off a source (a crashed run's
            sources are due again after it).
        wait_timeout_s: how long to wait for the child runs before summarising.
    """
    configure(settings_block)
    from prefect.runtime import flow_run

    from hirehound.storage import db

    logger = get_run_logger()
    claimer = f"flow-run/{flow_run.id}" if flow_run.id else f"process/{uuid.uuid4().hex[:8]}"
    with db.transaction() as session:
        ids = crawl.resolve_names(session, names) if names else None
    claimed = _prefect(t.claim_sources, claimer, lease_s, limit, ids)
    if not claimed:
        logger.info("no source is due")
        return {"sources": 0}
    with db.transaction() as session:
        names_by_id = {s.id: s.name for s in crawl.snapshots(session, claimed)}
    batches = _batches(claimed, boards_per_run, min_runs)
    parameters: dict[str, Any] = {"settings_block": settings_block, "chunk_size": chunk_size,
                                  "close_after": close_after, "max_failures": max_failures}
    pool = _deployed(CHILD_DEPLOYMENT) if use_pool is None else use_pool
    started = _database_now()  # the database's clock: it stamps last_crawl_at
    if pool:
        children = _fan_out(batches, names_by_id, parameters, wait_timeout_s)
    else:
        children = {}
        for batch in batches:
            state = "COMPLETED"
            try:
                crawl_sources(source_ids=batch, **parameters)
            except Exception as exc:  # the batch's boards are marked below
                logger.warning("batch failed: %s", exc)
                state = "FAILED"
            children.update({sid: ("in-process", state) for sid in batch})
    return _summarise(claimed, names_by_id, children, started, max_failures)


def _summarise(
    claimed: list[int], names: dict[int, str], children: dict[int, tuple[str, str]],
    since: datetime, max_failures: int,
) -> dict[str, Any]:
    """Mark the sources a child never got to (crashed, cancelled, still waiting) as failed,
    then publish one table of what every source did."""
    from hirehound.storage import db
    from hirehound.storage.models import CrawlSource

    def read(session: Any) -> list[CrawlSource]:
        # populate_existing: the second read sees what record_failure wrote, in one query.
        return list(session.scalars(
            select(CrawlSource).where(CrawlSource.id.in_(claimed)).order_by(CrawlSource.id)
            .execution_options(populate_existing=True)))

    with db.transaction() as session:
        for source in read(session):
            run_name, state = children.get(source.id, ("-", "PENDING"))
            missed = source.last_crawl_at is None or source.last_crawl_at < since
            # A child still queued or running keeps its claim: it may finish yet.
            if missed and state in FINAL:
                crawl.record_failure(session, source.id, f"child run {run_name} ended {state} "
                                     "before crawling it", max_failures=max_failures)
        table = []
        totals: Counter[str] = Counter(sources=len(claimed))
        for s in read(session):
            sid = s.id
            run_name, state = children.get(sid, ("-", "PENDING"))
            done = s.last_crawl_at is not None and s.last_crawl_at >= since
            status = (s.last_status or "pending") if done else "not crawled"
            totals[status] += 1
            counts = s.last_counts if done and s.last_status != "failed" else {}
            # Statuses are counted once per source above, not again from the counts.
            totals.update({k: v for k, v in counts.items()
                           if isinstance(v, int) and k not in _STATUSES})
            table.append({
                "source": names.get(sid, str(sid)), "status": status,
                "new": counts.get("new", 0), "changed": counts.get("changed", 0),
                "unchanged": counts.get("unchanged", 0), "closed": counts.get("closed", 0),
                "error": (s.last_error or "")[:200] if status == "failed" else "",
                "run": run_name, "run_state": state,
            })
    create_table_artifact(
        sorted(table, key=lambda r: (r["status"] != "failed", r["source"]))[:1000],
        key="crawl-round", description=f"Crawl round: {dict(totals)}",
    )
    get_run_logger().info("crawl round: %s", dict(totals))
    return dict(totals)


if __name__ == "__main__":
    print(crawl_due_sources())

"""The crawl on a real work pool, for `tests/integration/test_crawl_pool.py` and
`benchmarks/crawl.py`: `hirehound setup` and the two crawl deployments on a real Prefect server
(`tests/support/prefect_server.py`), process workers polling `scraping` and `cron`, the board
farm's boards in the registry, and crawl rounds run through the `crawl-due-sources`
deployment and read back from the API (child runs, their workers, start/end times).

    with start_server(tmp / "prefect") as server:
        prepare_pool(server, scraping_rate=RateLimit(120, 30.0))
        with BoardFarm(200) as farm, workers(server, 2, limit=4, env=worker_env()):
            register_boards(farm, every_s=600, min_interval_s=0.01)
            first = run_round(farm, timeout=300)
            farm.next_round()
            advance_clock(600)           # one cadence later: every healthy board is due
            second = run_round(farm, timeout=300)

Nothing here is a pytest fixture or asserts anything.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.support.boards import BoardFarm, FarmRequest
from tests.support.prefect_server import (
    DONE,
    HEARTBEAT_S,
    Server,
    deploy,
    start_worker,
    stop_process,
    submit,
    wait_for_run,
)

PARENT = "crawl-due-sources/crawl-due-sources"
CHILD = "crawl-sources/crawl-sources"
QUEUES = ("scraping", "cron")
WORKER_LABEL = "prefect.worker.name"  # the label a Prefect 3 worker gives each run it takes


def prepare_pool(server: Server, *, scraping_rate: Any | None = None,
                 database_url: str | None = None) -> Any:
    """`hirehound setup` (work pool, queues with the scraping limit of 5, limits, blocks) with
    `scraping_rate` (a `deployments.setup.RateLimit`) instead of the shipped 100/min, then
    `prefect deploy` of the crawl deployments from the repository's prefect.yaml."""
    from deployments.setup import RATE_LIMITS, SetupConfig, setup

    rates = dict(RATE_LIMITS)
    if scraping_rate is not None:
        rates["scraping-rate"] = scraping_rate
    report = setup(config=SetupConfig(rate_limits=rates, database_url=database_url,
                                      heartbeat_s=HEARTBEAT_S))
    deploy(server, "-n", "crawl-sources", "-n", "crawl-due-sources")
    return report


def worker_env(http_timeout_s: float = 3.0, **extra: str) -> dict[str, str]:
    """What a crawl worker needs here: the farm is on 127.0.0.1, no embedding model, a short
    HTTP timeout (slow boards fail fast), chunk stages in the flow process (several child runs
    share 2 cores: one CPU pool per run would only add processes), patience with the test
    server's 503s. The database URL and the
    Prefect API come from the environment `start_worker` builds."""
    return {
        "HIREHOUND_ALLOW_PRIVATE_ADDRESSES": "true",
        "HIREHOUND_EMBEDDING_PROVIDER": "hashing",
        "HIREHOUND_HTTP_TIMEOUT_S": str(http_timeout_s),
        "HIREHOUND_CPU_WORKERS": "0",
        # The test server keeps its state in SQLite and answers 503 while that is locked;
        # on a loaded machine that outlasted the client's 5 retries (2+4+...+32 s) and failed
        # a parent run creating its children. 7 retries wait up to ~4 minutes.
        "PREFECT_CLIENT_MAX_RETRIES": "7",
        **extra,
    }


@contextlib.contextmanager
def workers(
    server: Server,
    n: int,
    *,
    limit: int | None = None,
    env: Mapping[str, str | None] | None = None,
    prefix: str = "crawler",
    ready_timeout: float = 240.0,
) -> Iterator[list[str]]:
    """`n` process workers on the pool polling `scraping` and `cron`; yields their names once
    every one of them has polled the pool (else the first to poll takes the first burst).
    A worker that exits fails at once; `ready_timeout` only bounds a slow start (20 s and
    more on a loaded machine)."""
    from prefect.client.orchestration import get_client

    names = [f"{prefix}-{i + 1}" for i in range(n)]
    procs = [start_worker(server, QUEUES, name, limit=limit, env=env) for name in names]
    try:
        deadline = time.monotonic() + ready_timeout
        with get_client(sync_client=True) as client:
            while True:
                online = {w.name for w in client.read_workers_for_work_pool("hirehound")
                          if w.status is not None and w.status.value == "ONLINE"}
                if set(names) <= online:
                    break
                dead = [p.args for p in procs if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    logs = "\n".join((server.home / f"{m}.log").read_text()[-1500:]
                                     for m in names if (server.home / f"{m}.log").exists())
                    raise RuntimeError(f"workers {names} not ready (exited: {dead}):\n{logs}")
                time.sleep(0.5)
        yield names
    finally:
        for proc in procs:
            stop_process(proc)


# --- the registry ---------------------------------------------------------------------------


def register_boards(
    farm: BoardFarm, *, every_s: int, min_interval_s: float, boards: Sequence[str] | None = None
) -> dict[str, int]:
    """Every farm board (or the given ones) as a crawl source, due at once: {board: id}."""
    from hirehound import crawl
    from hirehound.storage import db

    ids = {}
    with db.transaction() as session:
        for board in boards if boards is not None else farm.boards:
            source, _ = crawl.add_source(session, farm.board_url(board), every_s=every_s,
                                         min_interval_s=min_interval_s)
            ids[board] = source.id
    return ids


def advance_clock(seconds: float) -> None:
    """Move the registry's clock on: every source falls due `seconds` earlier. A healthy
    source crawled one cadence (`every_s`) ago is then due; one backed off for longer is not."""
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as session:
        session.execute(
            text("update crawl_sources set next_due_at = next_due_at "
                 "- make_interval(secs => :s)"),
            {"s": float(seconds)},
        )


def source_rows() -> dict[int, dict[str, Any]]:
    """The registry as plain rows: {source id: columns}."""
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as session:
        return {r["id"]: dict(r) for r in session.execute(text(
            "select id, name, enabled, next_due_at, last_crawl_at, last_status, last_error, "
            "last_counts, consecutive_failures, etag, now() as db_now from crawl_sources"
        )).mappings()}


# --- rounds ---------------------------------------------------------------------------------


@dataclass
class Span:
    """One flow or task run as the API recorded it (times in seconds since the epoch)."""

    id: Any
    name: str
    state: str
    start: float | None
    end: float | None
    worker: str | None = None
    pending: float | None = None  # when the worker took it (PENDING), flow runs only
    created: float | None = None

    @property
    def seconds(self) -> float:
        return (self.end or 0.0) - (self.start or 0.0) if self.start and self.end else 0.0


@dataclass
class Round:
    """One crawl round: the parent run, its child runs, the farm's requests meanwhile."""

    number: int
    farm_round: int
    parent: Span
    children: list[Span]
    wall_s: float  # from submitting the parent to seeing it final
    requests: list[FarmRequest] = field(default_factory=list)
    started_at: float = 0.0  # time.time() at submit

    def statuses(self) -> dict[int, int]:
        """HTTP statuses of the round's requests -> how many."""
        out: dict[int, int] = {}
        for q in self.requests:
            out[q.status] = out.get(q.status, 0) + 1
        return out

    def per_board(self) -> dict[str | None, list[FarmRequest]]:
        out: dict[str | None, list[FarmRequest]] = {}
        for q in self.requests:
            out.setdefault(q.board, []).append(q)
        return out


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _span(run: Any) -> Span:
    return Span(
        id=run.id, name=run.name, state=run.state.type.value if run.state else "?",
        start=_ts(run.start_time), end=_ts(run.end_time),
        worker=(getattr(run, "labels", None) or {}).get(WORKER_LABEL),
        created=_ts(getattr(run, "created", None)),
    )


def child_runs(parent_id: Any, *, with_states: bool = False) -> list[Span]:
    """The `crawl-sources` runs a parent started (as subflows), with the worker that took each
    and, with `with_states`, when it went PENDING (the worker submitted it)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])))
        spans = [_span(r) for r in runs]
        if with_states:
            for span in spans:
                pending = [s for s in client.read_flow_run_states(span.id)
                           if s.type.value == "PENDING"]
                span.pending = _ts(pending[0].timestamp) if pending else None
    return sorted(spans, key=lambda s: (s.start or 0.0, s.name))


def flow_run_span(run_id: Any, *, with_states: bool = False) -> Span:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        span = _span(client.read_flow_run(run_id))
        if with_states:
            pending = [s for s in client.read_flow_run_states(run_id)
                       if s.type.value == "PENDING"]
            span.pending = _ts(pending[0].timestamp) if pending else None
    return span


def task_runs(flow_run_ids: Iterable[Any]) -> dict[Any, list[Span]]:
    """Task runs of the given flow runs: {flow run id: spans}."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    ids = list(flow_run_ids)
    out: dict[Any, list[Span]] = {i: [] for i in ids}
    if not ids:
        return out
    page = 200
    with get_client(sync_client=True) as client:
        offset = 0
        while True:
            batch = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
                limit=page, offset=offset,
            )
            for t in batch:
                out.setdefault(t.flow_run_id, []).append(_span(t))
            if len(batch) < page:
                return out
            offset += page


def run_round(
    farm: BoardFarm, number: int, *, timeout: float, with_states: bool = False,
    **parameters: Any,
) -> Round:
    """Run the `crawl-due-sources` deployment once (parameters over the deployed ones), wait
    for it (up to `timeout` seconds without progress), and collect its child runs and the
    farm's requests from its start on."""
    seen = len(farm.requests)
    started_at = time.time()
    t0 = time.monotonic()
    parent_id = submit(PARENT, **parameters).id
    # `timeout` without progress: requests to the farm, boards recorded, postings published.
    run = wait_for_run(parent_id, until=DONE, timeout=timeout,
                       progress=lambda: (len(farm.requests), _crawl_progress()))
    wall = time.monotonic() - t0
    parent = flow_run_span(run.id, with_states=with_states)
    children = child_runs(run.id, with_states=with_states)
    return Round(number, farm.round, parent, children, wall, farm.requests[seen:], started_at)


def _crawl_progress() -> tuple[Any, ...]:
    """What a crawl round changes in the database as it gets on."""
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as session:
        return tuple(session.execute(text(
            "select (select max(last_crawl_at) from crawl_sources), "
            "(select count(*) from raw_postings), "
            "(select count(*) from postings where step = 'publish')")).one())


# --- arithmetic on spans ----------------------------------------------------------------------


def max_overlap(spans: Iterable[tuple[float, float]]) -> int:
    """The most intervals open at once (an end at the same instant as a start closes first)."""
    events: list[tuple[float, int]] = []
    for start, end in spans:
        events += [(start, 1), (end, -1)]
    best = now = 0
    for _, step in sorted(events):
        now += step
        best = max(best, now)
    return best


def union_seconds(spans: Iterable[tuple[float, float]]) -> float:
    """Seconds covered by at least one interval."""
    total, cur_start, cur_end = 0.0, None, None
    for start, end in sorted(spans):
        if cur_end is None or start > cur_end:
            if cur_end is not None and cur_start is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None and cur_start is not None:
        total += cur_end - cur_start
    return total


def token_bucket_excess(starts: Sequence[float], allowed: int, rate: float,
                        slack_s: float = 0.5) -> tuple[float, int, float]:
    """How far a request log exceeds a token bucket of `allowed` that refills at `rate`/s:
    over any window [t_i, t_j] at most allowed + rate * (t_j - t_i + slack_s) requests may
    start. Returns (the worst excess, the requests in that window, its length in seconds);
    an excess <= 0 means the log is within the bucket."""
    times = sorted(starts)
    worst = (float("-inf"), 0, 0.0)
    for i, ti in enumerate(times):
        for j in range(i, len(times)):
            n = j - i + 1
            excess = n - (allowed + rate * (times[j] - ti + slack_s))
            if excess > worst[0]:
                worst = (excess, n, times[j] - ti)
    return worst

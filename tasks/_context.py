"""Glue every task shares: settings for this process, run names for dead letters, and the
concern slots (global concurrency limits) that work holds while it runs."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from hirehound.ingest._bisect import isolatable, isolate, merge, row_letter
from hirehound.metrics import tally_limit
from hirehound.records import DeadLetter
from hirehound.settings import Settings
from hirehound.storage import db, dead_letters
from tasks._recorded import Sizer, recorded
from tasks._recorded import postings as count_postings

log = logging.getLogger(__name__)


def run_names() -> dict[str, Any]:
    """Flow name, flow-run id, task name and work queue of the current run (for dead-letter
    rows; all None outside a flow run)."""
    from prefect.context import FlowRunContext, TaskRunContext

    flow_ctx = FlowRunContext.get()
    task_ctx = TaskRunContext.get()
    run = flow_ctx.flow_run if flow_ctx else None
    return {
        "flow_name": flow_ctx.flow.name if flow_ctx and flow_ctx.flow else None,
        "flow_run_id": str(run.id) if run else None,
        "task_name": task_ctx.task.name if task_ctx else None,
        "work_queue": getattr(run, "work_queue_name", None) if run else None,
    }


def limit_exists(name: str) -> bool:
    """Whether the Prefect server has this global limit (`hirehound setup` creates them)."""
    return on_server(lambda client: client.read_global_concurrency_limit_by_name(name))


# A task that cannot get its concern's slot for this long fails like any other error.
SLOT_TIMEOUT_S = 1800.0
# A slot whose holder died comes back when its lease ends (the server revokes it); longer
# than any stage runs, so a live holder is never renewed (that would be a thread per slot).
SLOT_LEASE_S = 3600.0
# (flow run id, limit) -> whether the server has it: asked once per run, not per task.
_LIMITS_PRESENT: dict[tuple[str, str], bool] = {}
_clients = threading.local()


@contextlib.contextmanager
def concern_slot(limit: str | None, timeout_s: float = SLOT_TIMEOUT_S) -> Iterator[None]:
    """Hold one slot of a concern's global limit (`hirehound/concerns.py`) across every run of
    the pool while the block runs.

    Two calls on a kept-alive connection (take with a lease, give back), not Prefect's
    `concurrency()`, which opens a client, starts a lease-renewal task and emits two events
    per use: measured side by side on one server, 5-10x the time (`benchmarks/limit_cost.py`),
    paid by every chunk stage. On a server without the limit (the CLI's temporary API, before
    `hirehound setup`) it takes none, so a local command never waits on a limit nobody made."""
    if limit is None or not _present(limit):
        yield
        return
    client = _thread_client()
    t0 = time.perf_counter()
    try:
        lease_id = _take(client, limit, timeout_s, lease_s=SLOT_LEASE_S)["lease_id"]
    except TimeoutError:
        tally_limit(limit, denied=True)  # for the exporter (hirehound/metrics/_records.py)
        raise
    tally_limit(limit, time.perf_counter() - t0)
    try:
        yield
    finally:
        try:
            _give_back(client, lease_id)
        except Exception as exc:  # the lease ran out, or the server is away: it expires
            log.warning("could not give back a %r slot (%s); its lease will expire", limit,
                        exc)


def _present(limit: str) -> bool:
    """Whether the server has the limit, asked once per flow run."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    key = (str(ctx.flow_run.id) if ctx and ctx.flow_run else "", limit)
    if key not in _LIMITS_PRESENT:
        _LIMITS_PRESENT[key] = limit_exists(limit)
    return _LIMITS_PRESENT[key]


def rate_token(limit: str, timeout_s: float | None = None) -> None:
    """Take one token of a rate limit (none when the server lacks it), counted for the
    exporter like a slot: taken, waited for, or denied after `timeout_s` (None: no end).
    Taken the way a slot is (`_take`), not with Prefect's `rate_limit()`: a new client per
    call, and its 2 s sleeps on a busy server, before every request of a crawl."""
    if not _present(limit):
        return
    t0 = time.perf_counter()
    try:
        _take(_thread_client(), limit, math.inf if timeout_s is None else timeout_s,
              lease_s=None)
    except Exception:
        tally_limit(limit, denied=True)
        raise
    tally_limit(limit, time.perf_counter() - t0)


def _thread_client() -> Any:
    """This thread's Prefect client for the current API, opened once (chunk threads live for
    the run)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    held = getattr(_clients, "held", None)
    if held is None or held[0] != url:
        client = get_client(sync_client=True)
        client.__enter__()
        _clients.held = held = (url, client)
    return held[1]


# Statuses a busy server answers with (a SQLite-backed server's "database is locked" is a
# 503): asked again after a short pause.
_BUSY = frozenset({408, 429, 502, 503})
_BUSY_FIRST_PAUSE_S = 0.05
_BUSY_MAX_PAUSE_S = 1.0
# A give-back keeps trying this long; then the slot comes back when its lease ends.
_GIVE_BACK_S = 30.0
# Sends of one request when the connection fails before an answer.
_TRANSPORT_TRIES = 5


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    """One POST to the Prefect API on the client's connection, without the client's own
    retries: on a 503 those sleep 2 s, then 4 s, ... while the slot being waited for is
    a few milliseconds of work. A SQLite-backed server answers 503 whenever its database is
    locked, which under a bulk import is every few seconds (`benchmarks/limit_cost.py`)."""
    import httpx

    http = client._client
    request = http.build_request("POST", path, json=body)
    if getattr(http, "enable_csrf_support", False):  # a server with CSRF protection on
        http._add_csrf_headers(request)
    # What Prefect's client retries too: a kept-alive connection the server has closed
    # (uvicorn's keep-alive timeout) or reset under a burst.
    failed = 0
    while True:
        try:
            return httpx.Client.send(http, request)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError,
                httpx.ConnectError):
            failed += 1
            if failed == _TRANSPORT_TRIES:
                raise
            time.sleep(_busy_pause(failed - 1))


def _busy_pause(attempt: int) -> float:
    """Jittered, doubling pause after the server said it was busy."""
    return min(_BUSY_FIRST_PAUSE_S * 2 ** attempt, _BUSY_MAX_PAUSE_S) * random.uniform(0.5, 1.5)


def _take(client: Any, limit: str, timeout_s: float, *, lease_s: float | None) -> Any:
    """One slot held under a lease of `lease_s` (the server's answer has its `lease_id`) or,
    with no lease, one rate-limit token; waiting as the server says (423 with Retry-After)
    while the limit is full, and briefly while it is busy, up to `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    if lease_s is None:
        path = "/v2/concurrency_limits/increment"
        body: dict[str, Any] = {"names": [limit], "slots": 1, "mode": "rate_limit"}
    else:
        path = "/v2/concurrency_limits/increment-with-lease"
        body = {"names": [limit], "slots": 1, "mode": "concurrency", "lease_duration": lease_s}
    busy = 0
    while True:
        response = _post(client, path, body)
        if response.is_success:
            return response.json()
        if response.status_code == 423:
            wait = float(response.headers.get("Retry-After") or 1.0)
        elif response.status_code in _BUSY:
            wait, busy = _busy_pause(busy), busy + 1
        else:
            response.raise_for_status()
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no free {limit!r} slot or token in {timeout_s:.0f}s")
        time.sleep(min(max(wait, 0.05), left))


def _give_back(client: Any, lease_id: Any) -> None:
    """Release a slot's lease, asking again briefly while the server is busy."""
    deadline = time.monotonic() + _GIVE_BACK_S
    busy = 0
    while True:
        response = _post(client, "/v2/concurrency_limits/decrement-with-lease",
                         {"lease_id": str(lease_id)})
        if response.status_code not in _BUSY or time.monotonic() > deadline:
            response.raise_for_status()
            return
        time.sleep(_busy_pause(busy))
        busy += 1


P = ParamSpec("P")
R = TypeVar("R")


# Set on a task function that holds its slot and writes its own stage record (`holds`,
# `recorded_in`): a flow that runs it as a stage (flows/ingest.py `_stage_call`) adds neither.
RECORDS_ITSELF = "__hirehound_records_itself__"


def holds(concern: str, *, postings: Sizer | None = count_postings
          ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a task's function (under `@task`) to hold its concern's slot while it runs,
    and to write its stage record (queue: the concern) for the exporter, each attempt,
    completed or failed. `postings` counts the postings of its result (default: a list of
    ids, or {"ids": [...]}); None: it works on no postings."""
    return _stage(concern, concern, postings)


def recorded_in(queue: str, *, postings: Sizer | None = None
                ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`holds` without the slot: a task whose limit is the flow's work queue, or that takes
    its slot per remote call inside (enrichment), still writes its stage record."""
    return _stage(queue, None, postings)


def _stage(queue: str, limit: str | None, postings: Sizer | None
           ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def held(*args: P.args, **kwargs: P.kwargs) -> R:
            with recorded(fn, args, queue, postings) as stage, concern_slot(limit):
                stage.start()  # the time until now was the wait for the slot
                return stage.done(fn(*args, **kwargs))

        setattr(held, RECORDS_ITSELF, True)
        return held

    return wrap


def records_itself(task: Any) -> bool:
    """Whether the task (or function) holds its slot and writes its record itself."""
    return bool(getattr(getattr(task, "fn", task), RECORDS_ITSELF, False))


def on_server(read: Callable[[Any], Any]) -> bool:
    """Whether `read(client)` finds its object on the API this process talks to."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            read(client)
        except ObjectNotFound:
            return False
    return True


def settings() -> Settings:
    """The settings the flow configured this process with."""
    return db.settings()


# Two chunks in flight can lock the same rows in opposite orders (a cluster merge, a spam
# verdict spread over a cluster): PostgreSQL then aborts one transaction. Nothing was
# written, so running the step again is safe and almost always succeeds.
DEADLOCK_RETRIES = 4


def _transient(exc: OperationalError) -> bool:
    from psycopg import errors

    return isinstance(exc.orig, (errors.DeadlockDetected, errors.SerializationFailure))


def run_step(step: Callable[..., Any], *args: Any, isolate_rows: bool | None = None,
             **kwargs: Any) -> Any:
    """Run a core step in one transaction; its dead letters commit with its results.

    When the chunk (the first argument: ids, decisions or raw records) of an ingestion step
    (`isolate_rows`, by default: the step is `hirehound.ingest`'s) fails in a way one row
    can cause, its halves run on their own until each failing row is alone: those are
    dead-lettered and the rest goes through (`hirehound.ingest._bisect`). A failure that is
    nobody's row (the database is down) propagates: the task retries the chunk.
    """
    if isolate_rows is None:
        isolate_rows = getattr(step, "__module__", "").startswith("hirehound.ingest")
    try:
        return _run_once(step, *args, **kwargs)
    except Exception as exc:
        items = args[0] if args else None
        if not (isolate_rows and isinstance(items, list) and items and isolatable(exc)):
            raise
        name = getattr(step, "__name__", str(step))
        log.warning("%s failed for a chunk of %d (%s): isolating the rows that fail", name,
                    len(items), type(exc).__name__)

        def part(sub: list[Any]) -> Any:
            return _run_once(step, sub, *args[1:], **kwargs)

        results, failed = isolate(part, items, exc)
        _dead_letter_rows([row_letter(name, item, err) for item, err in failed])
        return merge(results or [part([])])


def _dead_letter_rows(letters: list[DeadLetter]) -> None:
    """Letters of isolated rows, in their own transaction (without payloads if those are
    what the database refuses)."""
    if not letters:
        return
    try:
        with db.transaction() as session:
            dead_letters.record(session, letters, **run_names())
    except DBAPIError:
        with db.transaction() as session:
            dead_letters.record(session, [dataclasses.replace(dl, payload=None)
                                          for dl in letters], **run_names())


def _run_once(step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with db.transaction() as session:
                result = step(session, *args, **kwargs)
                dead_letters.record(session, getattr(result, "dead", []), **run_names())
                return result
        except OperationalError as exc:
            if attempt == DEADLOCK_RETRIES or not _transient(exc):
                raise
            log.info("%s: %s, running it again", getattr(step, "__name__", step),
                     type(exc.orig).__name__)
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))
    raise AssertionError("unreachable")

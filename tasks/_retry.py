"""The shared retry policy of every task that talks to the outside, and the timeouts.

    @task(
        retries=3,
        retry_delay_seconds=backoff(2.0, 3),      # 2, 4, 8 s
        retry_jitter_factor=RETRY_JITTER,           # each delay spread by +-50 %
        retry_condition_fn=retry_unless_bad_data,   # SourceFormatError etc. fail at once
        timeout_seconds=TIMEOUTS.chunk_stage_s,     # a timed-out run retries like a failure
    )
    def clean_chunk(posting_ids: list[int]) -> StepSummary: ...

No failure hook writes dead letters: Prefect calls hooks without the task's arguments, so the
flow, which knows the ids it passed, writes them (`hirehound.storage.dead_letters.record`).
A task that exceeds `timeout_seconds` fails with `TimeoutError`, which `retry_unless_bad_data`
retries like any unknown error (Prefect interrupts a sync task in its worker thread).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from hirehound.errors import HirehoundError, is_retryable
from hirehound.settings import Timeouts
from hirehound.storage.db import is_outage

__all__ = [
    "QUICK_RETRIES",
    "RETRY_JITTER",
    "TIMEOUTS",
    "ChunkFailed",
    "backoff",
    "failure_exception",
    "outage_backoff",
    "retry_outage_only",
    "retry_unless_bad_data",
    "retry_unless_bad_data_long_outage",
]

log = logging.getLogger(__name__)

# Prefect spreads each delay with a clamped Poisson draw: 0.5 gives delay * [0.5, 1.5].
RETRY_JITTER = 0.5
# Every flow's and task's timeout, read once per process (HIREHOUND_TIMEOUT_<NAME>_S).
TIMEOUTS = Timeouts()

# Prefect warns at every run of a task with a timeout in a worker thread that the timeout only
# interrupts Python code, not a blocking call in progress. Chunk stages always run in threads
# (two chunks at once): that note would be one more log line per task run shipped to the
# API (each costs throughput, flows/ingest.py) and says nothing new; blocking calls carry their
# own timeouts (HTTP clients, the rate-limit waits).
_THREAD_TIMEOUT_NOTE = "Timeout of %s seconds configured for this task, but the task is running"


class _DropThreadTimeoutNote(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_THREAD_TIMEOUT_NOTE)


logging.getLogger("prefect.task_runs").addFilter(_DropThreadTimeoutNote())


def backoff(base: float = 2.0, retries: int = 3) -> list[float]:
    """Exponential delays for `retry_delay_seconds`: base, 2*base, 4*base, ..."""
    if base <= 0 or retries < 0:
        raise ValueError(f"backoff needs base > 0 and retries >= 0, got {base=}, {retries=}")
    return [base * 2**i for i in range(retries)]


def outage_backoff(first: float, total: float) -> list[float]:
    """Delays that outlast a database restart: first, 2*first, 4*first, ..., each at most a
    quarter of `total`, the last one cut so they add up to `total` (1 s and 60 s: 1, 2, 4, 8,
    15, 15, 15). With RETRY_JITTER each is spread by +-50 %, so the sum is total/2 at least."""
    if first <= 0 or total < first:
        raise ValueError(f"outage_backoff needs 0 < first <= total, got {first=}, {total=}")
    cap = max(first, total / 4)
    delays: list[float] = []
    while total - (spent := sum(delays)) > 1e-6 * total:
        delays.append(min(first * 2 ** len(delays), cap, total - spent))
    return delays


# Any failure that is not bad data gets this many retries (the first delays of the list);
# only a lost database gets the rest.
QUICK_RETRIES = 2


class ChunkFailed(HirehoundError):
    """A whole chunk failed: the posting ids and the cause, for the flow to dead-letter them."""

    def __init__(self, posting_ids: Iterable[int], cause: BaseException | str) -> None:
        self.posting_ids = [int(i) for i in posting_ids]
        self.cause = cause
        self.retryable = is_retryable(cause) if isinstance(cause, BaseException) else False
        reason = f"{type(cause).__name__}: {cause}" if isinstance(cause, BaseException) else cause
        super().__init__(f"chunk of {len(self.posting_ids)} postings failed: {reason}")


def failure_exception(state: Any) -> BaseException | None:
    """The exception behind a Failed/Crashed state, without raising it."""
    data = getattr(state, "data", None)
    if isinstance(data, BaseException):
        return data
    try:
        result = state.result(raise_on_failure=False)
    except Exception as exc:  # the result could not be read: report that instead
        return exc
    return result if isinstance(result, BaseException) else None


def _failure(state: Any) -> BaseException | None:
    exc = failure_exception(state)
    if isinstance(exc, ChunkFailed) and isinstance(exc.cause, BaseException):
        exc = exc.cause
    return exc


def retry_unless_bad_data(task: Any, task_run: Any, state: Any) -> bool:
    """`retry_condition_fn`: retry network trouble and unknown errors, never bad data."""
    exc = _failure(state)
    return exc is None or is_retryable(exc)


def retry_unless_bad_data_long_outage(task: Any, task_run: Any, state: Any) -> bool:
    """`retry_condition_fn` for `outage_backoff` delays: a lost database is retried as long
    as the task has retries (a restart takes seconds); other failures that are not bad data
    get QUICK_RETRIES, so a chunk that fails on its own is dead-lettered in seconds."""
    exc = _failure(state)
    if exc is not None and is_outage(exc):
        return True
    return retry_unless_bad_data(task, task_run, state) and task_run.run_count <= QUICK_RETRIES


def retry_outage_only(task: Any, task_run: Any, state: Any) -> bool:
    """`retry_condition_fn` of a task whose other failures are retried elsewhere (the HTTP
    layer): only a lost database is retried."""
    exc = _failure(state)
    return exc is not None and is_outage(exc)

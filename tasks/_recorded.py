"""A record of every chunk stage and every task that holds a concern, for the exporter
(`hirehound_jobs_*` and `hirehound_postings_processed_total` metrics).

    with recorded(task, args, limit) as stage, concern_slot(limit):
        stage.start()                      # the time until now was the wait for the slot
        return stage.done(task(*args))

Ingestion's chunk stages are recorded by the flow around each task run (flows/ingest.py);
the other tasks record themselves with `@holds` / `@recorded_in` (tasks/_context.py). The
row is written by the process that ran the work, on whichever worker, so the exporter's
counts add up over the pool (hirehound/metrics/_records.py).
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

WORKER_LABEL = "prefect.worker.name"


Sizer = Callable[[Any], int]


class Stage:
    """One chunk stage being run: its clock, size, and outcome."""

    def __init__(self, name: str, queue: str, postings_in: int,
                 sized: Sizer | None = None) -> None:
        self.name = name
        self.queue = queue
        self.postings_in = postings_in
        self._sized = sized
        self.postings_out = 0
        self.slot_wait_s = 0.0
        self._t0 = time.perf_counter()

    def start(self) -> None:
        """The task itself starts now, after its slot: the time until now was the wait for
        the slot, and its duration counts from here."""
        now = time.perf_counter()
        self.slot_wait_s = now - self._t0
        self._t0 = now

    def done(self, result: Any) -> Any:
        self.postings_out = self._sized(result) if self._sized else 0
        return result

    def elapsed(self) -> float:
        return time.perf_counter() - self._t0


def postings(value: Any) -> int:
    """Postings in a stage's argument or result: a list or Chunk of ids or decisions, a
    Routing (its three branches), or a fetch's or crawl's {"ids": [...]}."""
    if isinstance(value, dict):
        return postings(value.get("ids", ()))
    if hasattr(value, "exact") and hasattr(value, "unique"):
        return sum(len(getattr(value, k)) for k in ("exact", "possible", "unique"))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return len(value)
    return 0


def _where() -> tuple[str, str | None, str | None]:
    """(worker name, flow-run id, work queue) of the current flow run."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    run = ctx.flow_run if ctx else None
    if run is None:
        return f"local:{socket.gethostname()}", None, None
    worker = (run.labels or {}).get(WORKER_LABEL) if hasattr(run, "labels") else None
    return (str(worker) if worker else f"local:{socket.gethostname()}", str(run.id),
            run.work_queue_name)


@contextlib.contextmanager
def recorded(task: Any, args: Sequence[Any], limit: str | None,
             sized: Sizer | None = postings) -> Iterator[Stage]:
    """Time the stage (a task, or a task's function) and write its row when it ends,
    completed or failed. `sized` counts the postings of its result (those of its first
    argument are `postings`); None: it works on something else (organizations, flow runs)."""
    from hirehound.metrics import StageRun, record_stage

    name = getattr(task, "name", None) or getattr(task, "__name__", None) or str(task)
    worker, run_id, work_queue = _where()
    queue = limit or next(iter(sorted(getattr(task, "tags", ()) or ())), None) or (
        work_queue or "default")
    stage = Stage(name, queue, postings(args[0]) if sized and args else 0, sized)
    status = "failed"
    try:
        yield stage
        status = "completed"
    finally:
        record_stage(StageRun(name, queue, worker, status, stage.postings_in,
                              stage.postings_out, stage.elapsed(), stage.slot_wait_s, run_id))

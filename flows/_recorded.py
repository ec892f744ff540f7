"""A record of every chunk stage a flow runs, for the exporter (`hirehound_jobs_*` metrics).

    with recorded(task, args, limit) as stage, concern_slot(limit):
        stage.start()                      # the time until now was the wait for the slot
        return stage.done(task(*args))

The row is written by the flow-run process that ran the stage, on whichever worker, so the
exporter's counts add up over the pool (hirehound/metrics/_records.py).
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator, Sequence
from typing import Any

WORKER_LABEL = "prefect.worker.name"


class Stage:
    """One chunk stage being run: its clock, size, and outcome."""

    def __init__(self, name: str, queue: str, postings_in: int) -> None:
        self.name = name
        self.queue = queue
        self.postings_in = postings_in
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
        self.postings_out = _size(result)
        return result

    def elapsed(self) -> float:
        return time.perf_counter() - self._t0


def _size(value: Any) -> int:
    """Postings in a stage's argument or result: a list or Chunk of ids or decisions, a
    Routing (its three branches), or a fetch's {"ids": [...]}."""
    if isinstance(value, dict):
        return _size(value.get("ids", ()))
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
def recorded(task: Any, args: Sequence[Any], limit: str | None) -> Iterator[Stage]:
    """Time the stage and write its row when it ends, completed or failed."""
    from hirehound.metrics import StageRun, record_stage

    name = getattr(task, "name", str(task))
    worker, run_id, work_queue = _where()
    queue = limit or next(iter(sorted(getattr(task, "tags", ()) or ())), None) or (
        work_queue or "default")
    stage = Stage(name, queue, _size(args[0]) if args else 0)
    status = "failed"
    try:
        yield stage
        status = "completed"
    finally:
        record_stage(StageRun(name, queue, worker, status, stage.postings_in,
                              stage.postings_out, stage.elapsed(), stage.slot_wait_s, run_id))

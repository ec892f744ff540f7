"""What every worker writes for the exporter: a row per chunk stage, rate-limit tallies, and
its process's CPU and memory, all in one short transaction per chunk stage.

    tally_limit("scraping-rate", waited_s=0.4)            # per request: memory only
    record_stage(StageRun("embed", "ml", "pool-1", "completed", 512, 510, 3.2))

Per chunk stage rather than per posting or per request, so the cost is one round trip per
stage (~1-3 ms) whatever the chunk size. Never raises: metrics must not fail the work.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

log = logging.getLogger(__name__)

# A limit slot taken within this is not a wait (the API round trip alone takes ~5-20 ms).
WAIT_THRESHOLD_S = 0.05


@dataclass(frozen=True, slots=True)
class StageRun:
    stage: str
    queue: str
    worker: str
    status: str  # completed | failed
    postings_in: int
    postings_out: int
    duration_s: float
    slot_wait_s: float = 0.0
    flow_run_id: str | None = None


class _Tally:
    """Per-process rate-limit counts since the last flush (threads of a flow run share it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # limit -> [acquired, waited, wait_seconds, denied]
        self._counts: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])

    def add(self, limit: str, waited_s: float = 0.0, denied: bool = False) -> None:
        with self._lock:
            c = self._counts[limit]
            if denied:
                c[3] += 1
            else:
                c[0] += 1
            if waited_s >= WAIT_THRESHOLD_S:
                c[1] += 1
                c[2] += waited_s

    def take(self) -> dict[str, list[float]]:
        with self._lock:
            counts, self._counts = dict(self._counts), defaultdict(lambda: [0, 0, 0.0, 0])
        return counts


_tally = _Tally()


def tally_limit(limit: str, waited_s: float = 0.0, denied: bool = False) -> None:
    """Count one attempt to take a slot of `limit` (flushed with the next stage record)."""
    _tally.add(limit, waited_s, denied)


_process: Any = None


def _resources() -> tuple[float, int]:
    """This process's CPU (% of one core since the previous call) and resident memory."""
    global _process
    import psutil

    if _process is None:
        _process = psutil.Process(os.getpid())
        _process.cpu_percent(None)  # the first call only starts the clock
    with _process.oneshot():
        return float(_process.cpu_percent(None)), int(_process.memory_info().rss)


_STAGE = text(
    "insert into stage_runs (stage, queue, worker, status, postings_in, postings_out,"
    " duration_s, slot_wait_s, flow_run_id) values (:stage, :queue, :worker, :status,"
    " :postings_in, :postings_out, :duration_s, :slot_wait_s, :flow_run_id)"
)
_LIMIT = text(
    "insert into rate_limit_stats (limit_name, acquired, waited, wait_seconds, denied)"
    " values (:name, :acquired, :waited, :wait_seconds, :denied)"
    " on conflict (limit_name) do update set"
    " acquired = rate_limit_stats.acquired + excluded.acquired,"
    " waited = rate_limit_stats.waited + excluded.waited,"
    " wait_seconds = rate_limit_stats.wait_seconds + excluded.wait_seconds,"
    " denied = rate_limit_stats.denied + excluded.denied, updated_at = now()"
)
_RESOURCES = text(
    "insert into worker_resources (worker, pid, cpu_percent, memory_bytes)"
    " values (:worker, :pid, :cpu, :mem) on conflict (worker, pid) do update set"
    " cpu_percent = excluded.cpu_percent, memory_bytes = excluded.memory_bytes,"
    " updated_at = now()"
)
# Rows of processes gone for a day go (flow-run processes come and go with their runs).
_PRUNE = text("delete from worker_resources where updated_at < now() - interval '1 day'")


def record_stage(run: StageRun) -> None:
    """Write the stage's row, the rate-limit tallies so far and this process's resources."""
    from hirehound.storage import db

    counts = _tally.take()
    try:
        cpu, mem = _resources()
        with db.transaction() as session:
            session.execute(_STAGE, {
                "stage": run.stage, "queue": run.queue, "worker": run.worker,
                "status": run.status, "postings_in": run.postings_in,
                "postings_out": run.postings_out, "duration_s": run.duration_s,
                "slot_wait_s": run.slot_wait_s, "flow_run_id": run.flow_run_id,
            })
            # In name order: two workers upserting the same limits never deadlock.
            for name, (acquired, waited, wait_s, denied) in sorted(counts.items()):
                session.execute(_LIMIT, {"name": name, "acquired": int(acquired),
                                         "waited": int(waited), "wait_seconds": wait_s,
                                         "denied": int(denied)})
            session.execute(_RESOURCES, {"worker": run.worker, "pid": os.getpid(),
                                         "cpu": cpu, "mem": mem})
            session.execute(_PRUNE)
    except Exception as exc:  # the database is down: the work's own steps will say so
        log.warning("metrics: stage record of %s not written: %s", run.stage, exc)

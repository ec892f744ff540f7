"""What every worker writes for the exporter: a row per chunk stage (or task holding a
concern), rate-limit tallies, and its process's CPU and memory, all in one short transaction
per stage.

    tally_limit("scraping-rate", waited_s=0.4)            # per request: memory only
    record_stage(StageRun("embed", "ml", "pool-1", "completed", 512, 510, 3.2))

Per stage rather than per posting or per request, so the cost is one round trip per stage
(~1-3 ms) whatever the chunk size. Tallies ride along with the next stage record; those
older than FLUSH_EVERY_S (a long crawl's requests) and those left when the process exits
are written on their own, so no count waits on a stage that never comes. Never raises:
metrics must not fail the work.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

log = logging.getLogger(__name__)

# A limit slot taken within this is not a wait (the API round trip alone takes ~5-20 ms).
WAIT_THRESHOLD_S = 0.05
# The seed's buckets of `hirehound_job_duration_seconds`, and their `stage_run_totals` columns.
DURATION_BUCKETS: dict[float, str] = {
    0.1: "le_0_1", 0.5: "le_0_5", 1.0: "le_1", 5.0: "le_5", 10.0: "le_10", 30.0: "le_30",
    60.0: "le_60", 300.0: "le_300",
}
# Stage rows older than this are summed into `stage_run_totals` ...
ROLL_UP_AFTER_DAYS = 7
# ... by one stage record in this many (a few ms each time; no coordination needed).
ROLL_UP_ONE_IN = 500
# Tallies not written with a stage record for this long are written on their own.
FLUSH_EVERY_S = 15.0


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
        self._oldest = 0.0  # when the oldest count not yet taken was added
        self._at_exit = False

    def add(self, limit: str, waited_s: float = 0.0, denied: bool = False) -> bool:
        """Count one attempt; whether the counts are due for a flush of their own."""
        with self._lock:
            now = time.monotonic()
            if not self._counts:
                self._oldest = now
                if not self._at_exit:  # the last counts of a process are not lost
                    atexit.register(_flush_at_exit)
                    self._at_exit = True
            c = self._counts[limit]
            if denied:
                c[3] += 1
            else:
                c[0] += 1
            if waited_s >= WAIT_THRESHOLD_S:
                c[1] += 1
                c[2] += waited_s
            return now - self._oldest >= FLUSH_EVERY_S

    def take(self) -> dict[str, list[float]]:
        with self._lock:
            counts, self._counts = dict(self._counts), defaultdict(lambda: [0, 0, 0.0, 0])
        return counts


_tally = _Tally()


def tally_limit(limit: str, waited_s: float = 0.0, denied: bool = False) -> None:
    """Count one attempt to take a slot of `limit` (written with the next stage record, or on
    its own once FLUSH_EVERY_S old)."""
    if _tally.add(limit, waited_s, denied):
        flush_tallies()


def flush_tallies() -> None:
    """Write this process's rate-limit tallies now, without a stage record."""
    from hirehound.storage import db

    counts = _tally.take()
    if not counts:
        return
    try:
        with db.transaction() as session:
            session.execute(text("set local synchronous_commit = off"))
            _write_limits(session, counts)
    except Exception as exc:  # the database is down: the work's own steps will say so
        log.warning("metrics: rate-limit counts not written: %s", exc)


def _flush_at_exit() -> None:
    from hirehound.storage import db

    # A process whose database is gone (disposed) does not build an engine now: for the
    # embedded server, that would start it again on the way out.
    if db.configured():
        flush_tallies()


def _write_limits(session: Any, counts: dict[str, list[float]]) -> None:
    # In name order: two workers upserting the same limits never deadlock.
    for name, (acquired, waited, wait_s, denied) in sorted(counts.items()):
        session.execute(_LIMIT, {"name": name, "acquired": int(acquired),
                                 "waited": int(waited), "wait_seconds": wait_s,
                                 "denied": int(denied)})


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


_BUCKETS_SQL = ", ".join(
    f"count(*) filter (where duration_s <= {b})" for b in DURATION_BUCKETS)
_COLUMNS = ", ".join(DURATION_BUCKETS.values())
_ROLL_UP = text(
    "with moved as (delete from stage_runs"
    " where finished_at < now() - :days * interval '1 day' returning *)"
    " insert into stage_run_totals (stage, queue, worker, status, runs, duration_s,"
    f" {_COLUMNS}, postings_in, postings_out, last_finished_at)"
    f" select stage, queue, worker, status, count(*), sum(duration_s), {_BUCKETS_SQL},"
    " sum(postings_in), sum(postings_out), max(finished_at) from moved"
    " group by stage, queue, worker, status"
    " on conflict (stage, queue, worker, status) do update set"
    " runs = stage_run_totals.runs + excluded.runs,"
    " duration_s = stage_run_totals.duration_s + excluded.duration_s, "
    + ", ".join(f"{c} = stage_run_totals.{c} + excluded.{c}" for c in DURATION_BUCKETS.values())
    + ", postings_in = stage_run_totals.postings_in + excluded.postings_in,"
    " postings_out = stage_run_totals.postings_out + excluded.postings_out,"
    " last_finished_at = greatest(stage_run_totals.last_finished_at,"
    " excluded.last_finished_at)"
)
_ROLL_UP_LOCK = 0x48_48_53_52  # "HHSR"


def roll_up(session: Any, older_than_days: float = ROLL_UP_AFTER_DAYS) -> int:
    """Sum stage rows older than `older_than_days` into `stage_run_totals` and delete them
    (the exporter's figures do not change); the count of totals rows written. Skipped (0)
    while another process is at it."""
    if not session.execute(text("select pg_try_advisory_xact_lock(:k)"),
                           {"k": _ROLL_UP_LOCK}).scalar():
        return 0
    return int(session.execute(_ROLL_UP, {"days": older_than_days}).rowcount or 0)


def record_stage(run: StageRun) -> None:
    """Write the stage's row, the rate-limit tallies so far and this process's resources."""
    from hirehound.storage import db

    counts = _tally.take()
    try:
        cpu, mem = _resources()
        with db.transaction() as session:
            # Figures, not data: a crash may lose the last few; the commit need not wait for
            # the disk (the measured cost of a record halves on a busy machine).
            session.execute(text("set local synchronous_commit = off"))
            session.execute(_STAGE, {
                "stage": run.stage, "queue": run.queue, "worker": run.worker,
                "status": run.status, "postings_in": run.postings_in,
                "postings_out": run.postings_out, "duration_s": run.duration_s,
                "slot_wait_s": run.slot_wait_s, "flow_run_id": run.flow_run_id,
            })
            _write_limits(session, counts)
            session.execute(_RESOURCES, {"worker": run.worker, "pid": os.getpid(),
                                         "cpu": cpu, "mem": mem})
            if random.randrange(ROLL_UP_ONE_IN) == 0:
                session.execute(_PRUNE)
                roll_up(session)
    except Exception as exc:  # the database is down: the work's own steps will say so
        log.warning("metrics: stage record of %s not written: %s", run.stage, exc)

"""The collector behind `/metrics` (no Prefect import: the Prefect REST API is plain HTTP).

Every figure is read from a place every worker writes, at scrape time, so it is right
whichever worker did the work and the exporter holds nothing that a restart would lose:

- PostgreSQL: `stage_runs` (one row per chunk stage or task holding a concern, any worker)
  and `stage_run_totals` (the rows older than a week, summed) for the jobs and postings
  counters and the duration histogram;
  `rate_limit_stats`, `worker_resources`, `dead_letters`, `postings`, `circuit_breakers`,
  `pg_stat_activity`;
- the Prefect API: work-queue depths, flow runs per deployment and state, limit slots.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine, text

from hirehound import concerns
from hirehound.metrics._records import DURATION_BUCKETS
from hirehound.settings import Settings

log = logging.getLogger(__name__)

FLOW_RUN_STATES = (
    "SCHEDULED",
    "PENDING",
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "CRASHED",
    "PAUSED",
    "CANCELLING",
)
# Dead-letter ages: `hirehound_dead_letters_by_age{age}` counts letters younger than each.
DEAD_LETTER_AGES = {"1h": 3600, "1d": 86400, "7d": 7 * 86400}
# A worker process that wrote no stage row for this long is not counted as using resources.
WORKER_FRESH_S = 300
# Final states counted per deployment in `hirehound_workflow_executions_total`.
WORKFLOW_STATES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
# Per-deployment counts cost 4 requests a deployment: read at most this often.
WORKFLOW_TTL_S = 30.0
BREAKER_STATES = ("closed", "open", "half_open")
# Runs per read of the Prefect API (its default and maximum page).
PAGE = 200


class HirehoundCollector(Collector):
    """Collect on every scrape; a failing backend becomes `hirehound_scrape_ok{backend}=0`."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        prefect_api_url: str | None = None,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        self._engine = engine
        self._api = prefect_api_url.rstrip("/") if prefect_api_url else None
        self._http = http or httpx.Client(timeout=5.0)
        self._workflows: tuple[float, list[tuple[str, str, int]]] = (0.0, [])
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Any]:
        ok = GaugeMetricFamily(
            "hirehound_scrape_ok", "1 when the backend answered this scrape", labels=["backend"]
        )
        started = time.perf_counter()
        try:
            yield from self._database()
            ok.add_metric(["database"], 1)
        except Exception as exc:  # a scrape must still answer: report the failure as a metric
            log.warning("metrics: database unavailable: %s", exc)
            ok.add_metric(["database"], 0)
        parts: dict[str, float] = {"database": time.perf_counter() - started}
        if self._api:
            # Each part on its own, all at once: an API that lacks one (an older server) keeps
            # the others, and a scrape takes as long as the slowest part, not their sum.
            calls = {"prefect": self._flow_runs, "prefect_queues": self._queues,
                     "prefect_deployments": self._workflow_executions,
                     "prefect_limits": self._limits}
            with ThreadPoolExecutor(max_workers=len(calls)) as pool:
                futures = {name: pool.submit(_timed, call) for name, call in calls.items()}
                for backend, future in futures.items():
                    try:
                        families, parts[backend] = future.result()
                    except Exception as exc:
                        log.warning("metrics: Prefect API (%s) unavailable: %s", backend, exc)
                        ok.add_metric([backend], 0)
                        continue
                    yield from families
                    ok.add_metric([backend], 1)
        yield ok
        duration = GaugeMetricFamily(
            "hirehound_scrape_duration_seconds", "Time spent collecting this scrape"
        )
        duration.add_metric([], time.perf_counter() - started)
        yield duration
        part = GaugeMetricFamily(
            "hirehound_scrape_part_duration_seconds",
            "Time each backend's part of this scrape took (the Prefect parts run side by side)",
            labels=["backend"])
        for backend, took in parts.items():
            part.add_metric([backend], took)
        yield part

    # -- PostgreSQL --------------------------------------------------------------------------

    def _database(self) -> Iterator[Any]:
        with self._engine().connect() as conn:
            families = [
                *_corpus(conn),
                *_dead_letters(conn),
                *_stage_runs(conn),
                *_rate_limits(conn),
                *_workers(conn),
                *_connections(conn),
                *_breakers(conn),
            ]
        yield from families

    # -- Prefect API -------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        resp = self._http.post(f"{self._api}{path}", json=body)
        resp.raise_for_status()
        return resp.json()

    def _count(self, flow_runs: dict[str, Any]) -> int:
        return int(self._post("/flow_runs/count", {"flow_runs": flow_runs}))

    def _counts(self, filters: dict[Any, dict[str, Any]]) -> dict[Any, int]:
        """`/flow_runs/count` for each filter, in parallel: a scrape takes the time of the
        slowest few requests, not their sum."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = {key: pool.submit(self._count, flt) for key, flt in filters.items()}
            return {key: f.result() for key, f in futures.items()}

    def _flow_runs(self) -> Iterator[GaugeMetricFamily]:
        runs = GaugeMetricFamily(
            "hirehound_flow_runs",
            "Flow runs kept by the Prefect server, by state type (old runs are pruned daily)",
            labels=["state"],
        )
        counts = self._counts({s: {"state": {"type": {"any_": [s]}}} for s in FLOW_RUN_STATES})
        for state, n in counts.items():
            runs.add_metric([state.lower()], n)
        yield runs

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        queues = sorted({q["name"] for q in self._post("/work_queues/filter", {"limit": 200})})
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        by_state: dict[str, dict[str, Any]] = {
            # Due and not yet late (future runs of a schedule are not waiting on anything).
            "scheduled": {"state": {"type": {"any_": ["SCHEDULED"]},
                                    "name": {"not_any_": ["Late"]}},
                          "next_scheduled_start_time": {"before_": now}},
            "late": {"state": {"name": {"any_": ["Late"]}}},
            "pending": {"state": {"type": {"any_": ["PENDING"]}}},
            "running": {"state": {"type": {"any_": ["RUNNING"]}}},
        }
        with ThreadPoolExecutor(max_workers=len(by_state)) as pool:
            found = dict(zip(by_state, pool.map(lambda f: self._per_queue(f, queues),
                                                by_state.values()), strict=True))
        counts = {(q, state): found[state].get(q, 0) for q in queues for state in by_state}
        depth = GaugeMetricFamily(
            "hirehound_queue_length",
            "Flow runs on each Prefect work queue: scheduled and due, late, pending, running",
            labels=["queue", "state"],
        )
        for (queue, state), n in counts.items():
            depth.add_metric([queue, state], n)
        yield depth

    def _per_queue(self, flt: dict[str, Any], queues: list[str]) -> Counter[str]:
        """Runs matching `flt` per work queue: one read of those runs (they are few: waiting
        or running), or one count per queue when there are more than a page of them."""
        runs = self._post("/flow_runs/filter", {"flow_runs": flt, "limit": PAGE})
        if len(runs) < PAGE:
            return Counter(str(r.get("work_queue_name")) for r in runs)
        return Counter({q: self._count({**flt, "work_queue_name": {"any_": [q]}})
                        for q in queues})

    def _workflow_executions(self) -> Iterator[CounterMetricFamily]:
        executions = CounterMetricFamily(
            "hirehound_workflow_executions",
            "Finished flow runs of each deployment (flow/deployment) by final state; runs the "
            "server pruned no longer count",
            labels=["workflow_name", "status"],
        )
        with self._lock:
            at, cached = self._workflows
            if time.monotonic() - at >= WORKFLOW_TTL_S:
                flows = {f["id"]: f["name"] for f in self._post("/flows/filter", {"limit": 200})}
                deployments = self._post("/deployments/filter", {"limit": 200})
                names = {d["id"]: f"{flows.get(d['flow_id'], '?')}/{d['name']}"
                         for d in deployments}
                counts = self._counts({
                    (dep, s): {"deployment_id": {"any_": [dep]}, "state": {"type": {"any_": [s]}}}
                    for dep in names for s in WORKFLOW_STATES})
                cached = [(names[dep], s.lower(), n) for (dep, s), n in counts.items()]
                self._workflows = (time.monotonic(), cached)
        for name, status, n in cached:
            executions.add_metric([name, status], n)
        yield executions

    def _limits(self) -> Iterator[GaugeMetricFamily]:
        limits = self._post("/v2/concurrency_limits/filter", {"limit": 200})
        size = GaugeMetricFamily("hirehound_concurrency_limit_slots",
                                 "Slots of each global concurrency or rate limit",
                                 labels=["limit"])
        active = GaugeMetricFamily("hirehound_concurrency_limit_active_slots",
                                   "Slots of each global limit held now", labels=["limit"])
        for lim in limits:
            size.add_metric([lim["name"]], lim["limit"])
            active.add_metric([lim["name"]], lim.get("active_slots") or 0)
        yield from (size, active)


def _timed(call: Callable[[], Iterator[Any]]) -> tuple[list[Any], float]:
    t0 = time.perf_counter()
    return list(call()), time.perf_counter() - t0


def _corpus(conn: Connection) -> list[GaugeMetricFamily]:
    postings = GaugeMetricFamily(
        "hirehound_postings", "Postings by lifecycle status", labels=["status"]
    )
    for status, n in conn.execute(text("select status, count(*) from postings group by status")):
        postings.add_metric([status], n)
    clusters = GaugeMetricFamily(
        "hirehound_duplicate_clusters", "Duplicate clusters by kind", labels=["kind"]
    )
    total, multi = conn.execute(
        text("select count(*), count(*) filter (where size > 1) from duplicate_clusters")
    ).one()
    clusters.add_metric(["all"], total)
    clusters.add_metric(["with_duplicates"], multi)
    orgs = GaugeMetricFamily(
        "hirehound_organizations", "Organizations (not merged away)", labels=["enriched"]
    )
    enriched, plain = conn.execute(
        text(
            "select count(*) filter (where enriched_at is not null), "
            "count(*) filter (where enriched_at is null) "
            "from organizations where merged_into_id is null"
        )
    ).one()
    orgs.add_metric(["true"], enriched)
    orgs.add_metric(["false"], plain)
    return [postings, clusters, orgs]


def _dead_letters(conn: Connection) -> list[Any]:
    unresolved = GaugeMetricFamily(
        "hirehound_dead_letters_unresolved",
        "Dead letters not yet resolved, by pipeline step",
        labels=["step"],
    )
    total = CounterMetricFamily(
        "hirehound_dead_letters", "Dead letters ever recorded (resolved or not) by step",
        labels=["step"],
    )
    oldest = GaugeMetricFamily(
        "hirehound_dead_letters_oldest_age_seconds",
        "Age of the oldest unresolved dead letter, by step", labels=["step"],
    )
    by_age = GaugeMetricFamily(
        "hirehound_dead_letters_by_age",
        "Unresolved dead letters younger than `age` (1h, 1d, 7d) or of any age (all)",
        labels=["step", "age"],
    )
    ages = ", ".join(
        f"count(*) filter (where resolved_at is null and created_at > now() - "
        f"interval '{s} seconds')" for s in DEAD_LETTER_AGES.values())
    rows = conn.execute(text(
        "select step, count(*) filter (where resolved_at is null), count(*), "
        "extract(epoch from now() - min(created_at) filter (where resolved_at is null)), "
        f"{ages} from dead_letters group by step"))
    for step, open_n, all_n, age, *younger in rows:
        unresolved.add_metric([step], open_n)
        total.add_metric([step], all_n)
        oldest.add_metric([step], float(age or 0.0))
        for label, n in zip(DEAD_LETTER_AGES, younger, strict=True):
            by_age.add_metric([step, label], n)
        by_age.add_metric([step, "all"], open_n)
    return [unresolved, total, oldest, by_age]


_STAGE_TOTALS = text(
    "with s as ("
    " select stage, queue, worker, status, count(*) as runs, sum(duration_s) as duration_s, "
    + ", ".join(f"count(*) filter (where duration_s <= {b}) as {c}"
                for b, c in DURATION_BUCKETS.items())
    + ", sum(postings_in) as postings_in, sum(postings_out) as postings_out"
    " from stage_runs group by stage, queue, worker, status"
    " union all select stage, queue, worker, status, runs, duration_s, "
    + ", ".join(DURATION_BUCKETS.values())
    + ", postings_in, postings_out from stage_run_totals)"
    " select stage, queue, worker, status, sum(runs), sum(duration_s), "
    + ", ".join(f"sum({c})" for c in DURATION_BUCKETS.values())
    + ", sum(postings_in), sum(postings_out) from s group by stage, queue, worker, status"
)
_LAST_INGEST = text(
    "select extract(epoch from greatest("
    " (select max(finished_at) from stage_runs where stage = 'prepare_and_check'"
    "  and status = 'completed' and postings_in > 0),"
    " (select max(last_finished_at) from stage_run_totals where stage = 'prepare_and_check'"
    "  and status = 'completed' and postings_in > 0)))"
)


def _stage_runs(conn: Connection) -> list[Any]:
    jobs = CounterMetricFamily(
        "hirehound_jobs_processed",
        "Chunk stages and tasks holding a concern (crawls, claims, enrichment, maintenance), "
        "on every worker, by concern queue, worker and outcome",
        labels=["queue", "worker", "status"],
    )
    durations = HistogramMetricFamily(
        "hirehound_job_duration_seconds",
        "Time a chunk stage or task ran (after taking its limit slot), by concern queue and "
        "worker",
        labels=["queue", "worker"],
    )
    processed = CounterMetricFamily(
        "hirehound_postings_processed",
        "Postings each step handled, on every worker: completed (passed on), dropped (went in "
        "but not out: dead-lettered, held or routed away), failed (in a step that failed)",
        labels=["queue", "step", "status"],
    )
    postings = CounterMetricFamily(
        "hirehound_stage_postings",
        "Postings into and out of each chunk stage (in - out: dead-lettered or routed away)",
        labels=["stage", "direction"],
    )
    last = GaugeMetricFamily(
        "hirehound_last_ingest_timestamp_seconds",
        "When a chunk of postings last went through preparation (the first stage), any worker",
    )
    n_buckets = len(DURATION_BUCKETS)
    runs: Counter[tuple[str, str, str]] = Counter()
    hist: dict[tuple[str, str], list[float]] = {}
    moved: dict[str, list[int]] = {}
    outcomes: dict[tuple[str, str], Counter[str]] = {}
    # Every figure from one query over the recent rows and the rolled-up totals.
    for stage, queue, worker, status, n, total_s, *rest in conn.execute(_STAGE_TOTALS):
        # Sums of bigint columns come back as Decimal.
        runs[(queue, worker, status)] += int(n)
        acc = hist.setdefault((queue, worker), [0.0] * (n_buckets + 2))
        acc[0] += int(n)
        acc[1] += float(total_s or 0.0)
        for i, c in enumerate(rest[:n_buckets]):
            acc[2 + i] += int(c)
        n_in, n_out = int(rest[n_buckets] or 0), int(rest[n_buckets + 1] or 0)
        io = moved.setdefault(stage, [0, 0])
        io[0] += n_in
        io[1] += n_out
        if n_in or n_out:
            got = outcomes.setdefault((queue, stage), Counter())
            if status == "failed":
                got["failed"] += n_in
            else:
                got["completed"] += n_out
                got["dropped"] += max(n_in - n_out, 0)
    for queue, worker in hist:
        # Both outcomes always exist: a failure ratio has a denominator and a numerator.
        for status in ("completed", "failed"):
            jobs.add_metric([queue, worker, status], runs[(queue, worker, status)])
    for (queue, worker), acc in hist.items():
        le = [(str(b), acc[2 + i]) for i, b in enumerate(DURATION_BUCKETS)]
        durations.add_metric([queue, worker], [*le, ("+Inf", acc[0])], acc[1])
    for stage, (n_in, n_out) in sorted(moved.items()):
        postings.add_metric([stage, "in"], n_in)
        postings.add_metric([stage, "out"], n_out)
    for (queue, step), got in sorted(outcomes.items()):
        for status in ("completed", "dropped", "failed"):
            processed.add_metric([queue, step, status], got[status])
    at = conn.execute(_LAST_INGEST).scalar()
    if at is not None:
        last.add_metric([], float(at))
    return [jobs, durations, processed, postings, last]


def _rate_limits(conn: Connection) -> list[CounterMetricFamily]:
    fams = {
        "acquired": CounterMetricFamily(
            "hirehound_rate_limit_acquired", "Slots taken of each limit (stage slots and "
            "scraping requests), every worker", labels=["limit"]),
        "waited": CounterMetricFamily(
            "hirehound_rate_limit_waits", "Slots that were not free at once: the caller "
            "waited (the limit was hit)", labels=["limit"]),
        "wait_seconds": CounterMetricFamily(
            "hirehound_rate_limit_wait_seconds", "Time spent waiting for slots of each limit",
            labels=["limit"]),
        "denied": CounterMetricFamily(
            "hirehound_rate_limit_denials", "Slots not granted within the caller's timeout",
            labels=["limit"]),
    }
    rows = {r[0]: r[1:] for r in conn.execute(text(
        "select limit_name, acquired, waited, wait_seconds, denied from rate_limit_stats"))}
    # Every limit `hirehound setup` creates has a series, zero until it is used.
    for name in sorted({*concerns.QUEUES, *concerns.RATE_LIMITS, *rows}):
        values = rows.get(name, (0, 0, 0.0, 0))
        for fam, v in zip(fams.values(), values, strict=True):
            fam.add_metric([name], v)
    return list(fams.values())


def _workers(conn: Connection) -> list[GaugeMetricFamily]:
    cpu = GaugeMetricFamily(
        "hirehound_worker_cpu_percent",
        "CPU of the flow-run processes of each worker (% of one core, over their last chunk "
        "stage), those that reported in the last 5 minutes", labels=["worker"])
    mem = GaugeMetricFamily(
        "hirehound_worker_memory_bytes",
        "Resident memory of the flow-run processes of each worker that reported in the last "
        "5 minutes", labels=["worker"])
    processes = GaugeMetricFamily(
        "hirehound_worker_processes", "Flow-run processes of each worker that reported in the "
        "last 5 minutes", labels=["worker"])
    for worker, n, c, m in conn.execute(text(
            "select worker, count(*), sum(cpu_percent), sum(memory_bytes) from worker_resources "
            f"where updated_at > now() - interval '{WORKER_FRESH_S} seconds' group by worker")):
        cpu.add_metric([worker], float(c))
        mem.add_metric([worker], float(m))
        processes.add_metric([worker], n)
    return [cpu, mem, processes]


def _connections(conn: Connection) -> list[GaugeMetricFamily]:
    used = GaugeMetricFamily(
        "hirehound_database_connections",
        "Connections to this database by state (pg_stat_activity)", labels=["state"])
    for state, n in conn.execute(text(
            "select coalesce(state, 'unknown'), count(*) from pg_stat_activity "
            "where datname = current_database() group by 1")):
        used.add_metric([state], n)
    most = GaugeMetricFamily("hirehound_database_max_connections",
                             "The server's max_connections")
    most.add_metric([], float(conn.execute(text("show max_connections")).scalar_one()))
    return [used, most]


def breaker_states(conn: Connection) -> list[tuple[str, str, float]]:
    """(service, state, seconds in that state if open or half-open) of every circuit breaker,
    from the `circuit_breakers` rows every worker shares (hirehound/enrichment/_breaker.py)."""
    return [(str(s), str(st), float(age or 0.0)) for s, st, age in conn.execute(text(
        "select service, state, extract(epoch from now() - opened_at) "
        "from circuit_breakers order by service"))]


def _breakers(conn: Connection) -> list[GaugeMetricFamily]:
    state = GaugeMetricFamily(
        "hirehound_circuit_breaker_state",
        "1 for the state each enrichment service's breaker is in (closed, open, half_open)",
        labels=["service", "state"])
    opened = GaugeMetricFamily(
        "hirehound_circuit_breaker_open_seconds",
        "How long each breaker has been open or half-open (0 when closed)", labels=["service"])
    for service, current, age in breaker_states(conn):
        for s in BREAKER_STATES:
            state.add_metric([service, s], 1.0 if s == current else 0.0)
        opened.add_metric([service], age if current != "closed" else 0.0)
    return [state, opened]


def serve(
    port: int = 9108,
    *,
    settings: Settings,
    prefect_api_url: str | None,
    host: str = "0.0.0.0",
    block: bool = True,
) -> Any:
    """Serve `/metrics` on `host:port`; blocks unless `block=False` (then returns the server,
    whose `shutdown()` stops it)."""
    from prometheus_client import CollectorRegistry, start_http_server

    from hirehound.storage import db

    db.configure(settings)
    # A registry of its own: only Hirehound's figures (and several servers in one process).
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HirehoundCollector(db.engine, prefect_api_url))
    server, thread = start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
    if not block:
        return server
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()
    return server

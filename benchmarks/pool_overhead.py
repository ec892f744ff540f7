"""What a child run of `process-postings` costs: one import in-process and over the pool.

    .venv/bin/python benchmarks/pool_overhead.py                 # 20,000 postings, 16 chunks/run
    .venv/bin/python benchmarks/pool_overhead.py --postings 5000 --chunks-per-run 4 --poll-s 1

Input: the real Ashby responses in ../shared/data/postings/ashby repeated with fresh job ids up
to --postings (`_common.scaled_ashby`). One real `prefect server` (port 4300-4399, SQLite,
`hirehound setup`, `prefect deploy -n process-postings`) and one embedded PostgreSQL; the
database is emptied before each run. Three runs of `ingest_postings`, each in a process of its
own talking to that server (the parent is not on a worker, so the workers run children only):

    in-process   use_pool=false: every chunk in the parent, as without the deployment
    pool, 1w     use_pool=true: child runs of --chunks-per-run chunks, one worker, --limit 1
    pool, 2w     the same with two workers (--limit 1 each) sharing this machine's cores

Workers poll every --poll-s seconds (Prefect's default is 10; the tests use 1). Per child
run, from the API: queued (created -> a worker took it, PENDING), start-up (PENDING ->
RUNNING: a new process, imports, the flow engine), run (RUNNING -> end) and, from its
`process-summary` artifact, the seconds its chunks took; the rest of the run is its own
orchestration (configure, artifact, engine). Ends with one line:
`child_run_overhead_s=<(pool 1w wall - in-process wall) / children> pool_2w_vs_inprocess=<pool
2w wall / in-process wall> start_latency_s=<median start-up> pickup_gap_s=<median gap between
one child's end and the next one's start on the same worker>`.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import bench_dir, commit, fresh_home, scaled_ashby, truncate_all

PORTS = (4300, 4399)  # other engineers' test servers take 4200-4299


def _parent(spec: dict[str, Any]) -> None:
    """One import in this process (the --_child side): prints RESULT {...}."""
    import flows.ingest as fi

    t0 = time.perf_counter()
    state: Any = fi.ingest_postings(
        targets=spec["folders"], source="ashby", chunk_size=spec["chunk"],
        use_pool=spec["use_pool"], chunks_per_run=spec["chunks_per_run"], return_state=True,
    )
    seconds = time.perf_counter() - t0
    print("RESULT " + json.dumps({"seconds": seconds, "counts": state.result(),
                                  "run_id": str(state.state_details.flow_run_id)}))


def _run_parent(server: Any, spec: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, **server.env}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--_child", json.dumps(spec)],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        print(proc.stdout[-3000:], proc.stderr[-5000:])
        sys.exit("import failed")
    result: dict[str, Any] = json.loads(line[len("RESULT "):])
    result["process_wall"] = wall
    return result


def _ts(value: Any) -> float | None:
    return value.timestamp() if value is not None else None


def _children(parent_id: str) -> list[dict[str, Any]]:
    """Per child run: created, pending, start, end (epoch s), worker, work seconds."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    out = []
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[UUID(parent_id)])))
        for run in runs:
            pending = [s for s in client.read_flow_run_states(run.id)
                       if s.type.value == "PENDING"]
            arts = client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["process-summary"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
            data: Any = arts[0].data if arts else "[]"
            rows = json.loads(data) if isinstance(data, str) else data
            work = next((r["value"] for r in rows if r["metric"] == "seconds"), None)
            out.append({
                "name": run.name, "state": run.state.type.value if run.state else "?",
                "worker": (run.labels or {}).get("prefect.worker.name"),
                "created": _ts(run.expected_start_time or run.created),
                "pending": _ts(pending[0].timestamp) if pending else None,
                "start": _ts(run.start_time), "end": _ts(run.end_time), "work": work,
                "postings": len(run.parameters.get("posting_ids", [])),
            })
    return sorted(out, key=lambda c: c["start"] or 0.0)


def _gaps(children: list[dict[str, Any]]) -> list[float]:
    """Seconds between a child's end and the next child's start on the same worker."""
    gaps = []
    by_worker: dict[str, list[dict[str, Any]]] = {}
    for c in children:
        by_worker.setdefault(c["worker"] or "?", []).append(c)
    for runs in by_worker.values():
        runs.sort(key=lambda c: c["start"])
        gaps += [b["start"] - a["end"] for a, b in itertools.pairwise(runs)
                 if b["created"] < a["end"]]  # the next one was waiting already
    return gaps


def _print_children(children: list[dict[str, Any]]) -> dict[str, float]:
    print(f"   {'child run':<34}{'worker':>8}{'queued':>8}{'start-up':>9}{'run':>7}"
          f"{'chunks':>8}{'own':>6}")
    startup, own = [], []
    for c in children:
        queued = (c["pending"] or 0) - (c["created"] or 0)
        up = (c["start"] or 0) - (c["pending"] or 0)
        run = (c["end"] or 0) - (c["start"] or 0)
        rest = run - (c["work"] or 0)
        startup.append(up)
        own.append(rest)
        print(f"   {c['name'][:33]:<34}{(c['worker'] or '-')[-8:]:>8}{queued:>8.1f}{up:>9.1f}"
              f"{run:>7.1f}{(c['work'] or 0):>8.1f}{rest:>6.1f}")
    gaps = _gaps(children)
    figures = {"startup": median(startup) if startup else 0.0,
               "own": median(own) if own else 0.0,
               "gap": median(gaps) if gaps else 0.0}
    print(f"   medians: start-up {figures['startup']:.1f}s, own orchestration "
          f"{figures['own']:.1f}s, gap on a worker between a child's end and the next "
          f"waiting one's start {figures['gap']:.1f}s ({len(gaps)} gaps)")
    return figures


@contextlib.contextmanager
def _workers(server: Any, n: int, poll_s: float) -> Iterator[list[str]]:
    from prefect.client.orchestration import get_client

    from tests.support.prefect_server import start_worker, stop_process

    names = [f"bench-{poll_s:g}s-{n}w-{i + 1}" for i in range(n)]
    env = {"PREFECT_WORKER_QUERY_SECONDS": f"{poll_s:g}"}
    procs = [start_worker(server, ("processing",), name, limit=1, env=env) for name in names]
    try:
        deadline = time.monotonic() + 90
        with get_client(sync_client=True) as client:
            while {w.name for w in client.read_workers_for_work_pool("hirehound")
                   if w.status is not None and w.status.value == "ONLINE"} < set(names):
                if time.monotonic() > deadline:
                    sys.exit(f"workers {names} not online")
                time.sleep(0.5)
        yield names
    finally:
        for proc in procs:
            stop_process(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--postings", type=int, default=20_000)
    ap.add_argument("--chunk-size", type=int, default=512)
    ap.add_argument("--chunks-per-run", type=int, default=None,
                    help="chunks per child run (default: ingest_postings' own)")
    ap.add_argument("--poll-s", type=float, default=10.0,
                    help="PREFECT_WORKER_QUERY_SECONDS of the workers (Prefect's default: 10)")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._child:
        _parent(json.loads(args._child))
        return

    from deployments.setup import SetupConfig, setup
    from flows._runtime import configure
    from hirehound.storage import _embedded, db
    from tests.support import prefect_server as ps

    if args.chunks_per_run is None:
        from flows.ingest import CHUNKS_PER_RUN

        args.chunks_per_run = CHUNKS_PER_RUN
    home = fresh_home("pool")
    settings = configure()  # the embedded database, migrated, before any clock starts
    url = db.engine().url.render_as_string(hide_password=False)
    os.environ["HIREHOUND_DATABASE_URL"] = url  # parents and workers reach the same server
    work = bench_dir("hh-bench-input-")
    folders, n = scaled_ashby(args.postings, work)
    group = args.chunk_size * args.chunks_per_run
    print(f"input: {n} real Ashby postings ({len(folders)} repetitions), chunks of "
          f"{args.chunk_size}, {args.chunks_per_run} chunks ({group} postings) per child run, "
          f"workers poll every {args.poll_s:g}s, commit {commit()}")
    original = ps.free_port
    ps.free_port = lambda lo=PORTS[0], hi=PORTS[1]: original(lo, hi)  # type: ignore[assignment]
    try:
        (home / "prefect").mkdir()
        with ps.start_server(home / "prefect") as server:
            setup(config=SetupConfig(database_url=url, heartbeat_s=ps.HEARTBEAT_S,
                                     stuck_after_s=10 * ps.HEARTBEAT_S))
            ps.deploy(server, "-n", "process-postings")
            spec = {"folders": folders, "chunk": args.chunk_size,
                    "chunks_per_run": args.chunks_per_run}
            results: dict[str, dict[str, Any]] = {}
            figures: dict[str, dict[str, float]] = {}
            for mode, workers in (("in-process", 0), ("pool, 1w", 1), ("pool, 2w", 2)):
                truncate_all()
                with contextlib.ExitStack() as stack:
                    if workers:
                        stack.enter_context(_workers(server, workers, args.poll_s))
                    r = _run_parent(server, {**spec, "use_pool": bool(workers)})
                results[mode] = r
                counts = r["counts"]
                print(f"\n== {mode}: {counts.get('processed', 0)} postings in {r['seconds']:.1f}s "
                      f"({counts.get('processed', 0) / r['seconds']:.1f} postings/s; "
                      f"{r['process_wall']:.1f}s with the process's start), "
                      f"{counts.get('children', 0)} child runs")
                print(f"   counts: {counts}")
                if workers:
                    figures[mode] = _print_children(_children(r["run_id"]))
    finally:
        ps.free_port = original  # type: ignore[assignment]
        db.dispose()
        _embedded.stop(settings.pgdata)

    inproc = results["in-process"]["seconds"]
    one, two = results["pool, 1w"], results["pool, 2w"]
    children = max(1, one["counts"].get("children", 0))
    overhead = (one["seconds"] - inproc) / children
    print(f"\nin-process {inproc:.1f}s, pool 1 worker {one['seconds']:.1f}s, pool 2 workers "
          f"{two['seconds']:.1f}s; ({one['seconds']:.1f} - {inproc:.1f}) / {children} children "
          f"= {overhead:.1f}s per child run at 1 worker")
    print(f"\nchild_run_overhead_s={overhead:.2f} pool_2w_vs_inprocess="
          f"{two['seconds'] / inproc:.3f} start_latency_s={figures['pool, 1w']['startup']:.2f} "
          f"pickup_gap_s={figures['pool, 1w']['gap']:.2f}")


if __name__ == "__main__":
    main()

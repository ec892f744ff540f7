"""End-to-end ingestion throughput on real postings, through the flow and without Prefect.

    .venv/bin/python benchmarks/ingest_throughput.py            # 20,000 postings, both modes
    .venv/bin/python benchmarks/ingest_throughput.py --postings 5000 --mode flow --repeat 1

Input: the real Ashby responses in ../shared/data/postings/ashby (4,429 postings), repeated
with fresh job ids up to --postings. Each mode runs in its own process on a fresh embedded
database with the default local embedding (WordLlama), --repeat times, alternating. Prints
postings/s, time per step, memory and CPU seconds of every process involved, and finally
one line: `postings_per_s=<flow> ratio=<flow time / direct time> peak_rss_mb=<flow runs>`:
the median flow time, the median ratio of each flow run to the direct run after it, and the
highest peak over the flow runs of the summed proportional set size (PSS) of every process
involved: PostgreSQL's shared buffers counted once, not once per backend as a sum of RSS
would.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    RssSampler,
    StepTimer,
    commit,
    fresh_home,
    scaled_ashby,
    timer,
)


def _db_pids() -> set[int]:
    from hirehound.storage import _embedded, db

    try:
        pid = _embedded.server_pid(db.settings().pgdata)
    except Exception:
        return set()
    return {pid} if pid else set()


def _warm_up_prefect() -> None:
    """Start Prefect's API (a temporary server without PREFECT_API_URL) before the clock."""
    from prefect import flow

    @flow
    def warm_up() -> None:
        pass

    warm_up()


def run_mode(
    mode: str, folders: list[str], chunk_size: int, parallel: int
) -> dict[str, object]:
    """One measured run in this process; returns its figures."""
    import gc

    home = fresh_home(mode)
    import flows.ingest as fi
    from flows._runtime import configure

    configure()  # start the database and migrate before the clock starts
    if mode == "flow":
        _warm_up_prefect()
    steps = StepTimer()
    sampler = RssSampler(_db_pids)
    gc.freeze()  # setup objects never need collecting again (measured ~20% on this loop)
    body: list[float] = []
    inner = fi._ingest

    def timed_ingest(*a: object, **k: object) -> object:
        with timer() as took:
            try:
                return inner(*a, **k)  # type: ignore[arg-type]
            finally:
                body.append(took())

    fi._ingest = timed_ingest  # type: ignore[assignment]
    with sampler, timer() as elapsed:
        if mode == "flow":
            fi._prefect = steps.wrap(fi._prefect)  # time each task call, overhead included
            counts = fi.ingest_postings(
                targets=folders, source="ashby", chunk_size=chunk_size, parallel_chunks=parallel
            )
        else:
            fi._direct = steps.wrap(fi._direct)
            counts = fi.run_direct(folders, "ashby", chunk_size, parallel_chunks=parallel)
        seconds = elapsed()
    processed = int(counts.get("processed", 0))
    return {
        "mode": mode,
        "home": str(home),
        "postings": processed,
        "seconds": seconds,
        "steps_seconds": sum(body),  # the chunks alone: without starting and ending the run
        "postings_per_s": processed / seconds if seconds else 0.0,
        "counts": counts,
        "steps": steps.table(processed),
        "rss": sampler.report(),
        "cpu": {k: round(v, 1) for k, v in sorted(sampler.cpu_seconds().items())},
        "peak_rss_mb": sampler.peak_total / 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--postings", type=int, default=20_000)
    ap.add_argument("--chunk-size", type=int, default=512)
    ap.add_argument("--mode", choices=["both", "flow", "direct"], default="both")
    ap.add_argument("--parallel", type=int, default=2, help="chunks in flight at once")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each mode, alternating; figures are medians (the machine's "
                         "noise, ±10%%, is as large as the overhead measured)")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args._child:
        spec = json.loads(args._child)
        result = run_mode(spec["mode"], spec["folders"], spec["chunk"], spec["parallel"])
        print("RESULT " + json.dumps(result))
        return

    work = Path(tempfile.mkdtemp(prefix="hh-bench-input-", dir="/tmp"))
    folders, n = scaled_ashby(args.postings, work)
    print(f"input: {n} real Ashby postings ({len(folders)} repetitions), chunk {args.chunk_size}, "
          f"{args.parallel} chunks in flight, commit {commit()}")
    modes = ["flow", "direct"] if args.mode == "both" else [args.mode]
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    for rep in range(args.repeat):
        for mode in modes:  # alternating, so drifting load on the machine hits both modes
            r = _run_child(mode, folders, args.chunk_size, args.parallel)
            results[mode].append(r)
            _print_run(r, rep)
    flow_runs = results.get("flow") or results["direct"]
    flow_s = median(r["seconds"] for r in flow_runs)
    postings = flow_runs[0]["postings"]
    ratio = float("nan")
    if "direct" in results and "flow" in results:
        direct_s = median(r["seconds"] for r in results["direct"])
        # Each flow run is paired with the direct run right after it, so both saw the same
        # load on the machine; the ratio is the median of the pairs' ratios.
        pairs = [f["seconds"] / d["seconds"]
                 for f, d in zip(results["flow"], results["direct"], strict=True)]
        ratio = median(pairs)
        print(f"\nflow {flow_s:.1f}s, direct {direct_s:.1f}s (medians of {args.repeat}, ratio "
              f"of medians {flow_s / direct_s:.3f}); ratio of each pair: "
              f"{', '.join(f'{x:.3f}' for x in pairs)}")
    peak = max(r["peak_rss_mb"] for r in flow_runs)
    print(f"\npostings_per_s={postings / flow_s:.1f} ratio={ratio:.3f} peak_rss_mb={peak:.0f}")


def _run_child(mode: str, folders: list[str], chunk: int, parallel: int) -> dict[str, Any]:
    spec = json.dumps({"mode": mode, "folders": folders, "chunk": chunk, "parallel": parallel})
    # A Prefect home of its own per run: its API starts on an empty database, as on a fresh
    # server, instead of on ~/.prefect's, which grows by every benchmark run's task runs.
    env = {**os.environ, "PREFECT_HOME": tempfile.mkdtemp(prefix="hh-bench-prefect-", dir="/tmp")}
    proc = subprocess.run([sys.executable, __file__, "--_child", spec],
                          capture_output=True, text=True, env=env)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        print(proc.stdout[-3000:], proc.stderr[-5000:])
        sys.exit(f"{mode} run failed")
    result: dict[str, Any] = json.loads(line[len("RESULT "):])
    return result


def _print_run(r: dict[str, Any], rep: int) -> None:
    print(f"\n== {r['mode']} (run {rep + 1}): {r['postings']} postings in {r['seconds']:.1f}s = "
          f"{r['postings_per_s']:.1f} postings/s")
    print(f"   counts: {r['counts']}")
    print(f"   {r['steps_seconds']:.1f}s reading and processing chunks, "
          f"{r['seconds'] - r['steps_seconds']:.1f}s starting and finishing the run")
    print(f"   {r['rss']}")
    print(f"   CPU seconds by process: {r['cpu']}")
    print(r["steps"])

if __name__ == "__main__":
    main()

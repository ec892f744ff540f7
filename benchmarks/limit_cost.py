"""What holding the concerns' global limits costs: chunk stages with and without the limits.

    .venv/bin/python benchmarks/limit_cost.py                 # 4,000 postings, 2 runs per mode
    .venv/bin/python benchmarks/limit_cost.py --postings 1000 --repeat 1

Each chunk stage of a bulk import holds its concern's slot (`processing`, `ml`,
`deduplication`, `indexing`) through Prefect's global concurrency API: one acquire and one
release per chunk stage, two HTTP calls to the Prefect server. Against one real `prefect
server` (SQLite, ports 4300-4399, `hirehound setup`) and the embedded PostgreSQL, this runs
the same import through the `ingest_postings` flow in this process with the limits present
and with them deleted (then nothing is taken), alternating, the database emptied before each
run. Input: the real Ashby responses in ../shared/data/postings/ashby repeated with fresh job
ids (`_common.scaled_ashby`). First it times bare take-and-give-back pairs, the project's
`tasks._context.concern_slot` beside Prefect's `concurrency()`.

Last line: `slot_ms=<median take+give back, concern_slot> prefect_concurrency_ms=<the same
with Prefect's concurrency()> with_limits_ratio=<median with / median without>
flow_direct_ratio=<median flow with the limits / median without Prefect>`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import bench_dir, commit, fresh_home, scaled_ashby, truncate_all

PORTS = (4300, 4399)  # other engineers' test servers take 4200-4299
STAGE_LIMITS = ("processing", "ml", "deduplication", "indexing")


def _limits(present: bool) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    from hirehound import concerns

    with get_client(sync_client=True) as client:
        for name in STAGE_LIMITS:
            with contextlib.suppress(ObjectNotFound):
                client.delete_global_concurrency_limit_by_name(name)
            if present:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(
                    name=name, limit=concerns.QUEUES[name]))


def _slot_ms(n: int) -> tuple[float, float]:
    """Median ms of one take-and-give-back: the project's `concern_slot`, Prefect's
    `concurrency()`; interleaved so both see the same load."""
    from prefect.concurrency.sync import concurrency

    from tasks._context import concern_slot

    ours, theirs = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        with concern_slot("processing"):
            pass
        t1 = time.perf_counter()
        with concurrency("processing", occupy=1, strict=True):
            pass
        ours.append((t1 - t0) * 1000)
        theirs.append((time.perf_counter() - t1) * 1000)
    return median(ours), median(theirs)


def _print_stages() -> None:
    """Where the run's time went, from the stage records (summed over chunks in flight)."""
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as s:
        rows = s.execute(text(
            "select stage, count(*), sum(duration_s), sum(slot_wait_s) from stage_runs "
            "group by stage order by 3 desc")).all()
    print("   " + ", ".join(f"{st} x{n}: {d:.1f}s run, {w:.1f}s slot" for st, n, d, w in rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--postings", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--api-url", help="an already running Prefect API (e.g. `hirehound server "
                    "start`, on PostgreSQL) instead of a new SQLite-backed one")
    args = ap.parse_args()

    from flows._runtime import configure
    from hirehound.storage import _embedded, db
    from tests.support import prefect_server as ps

    home = fresh_home("limits")
    settings = configure()
    work = bench_dir("hh-bench-input-")
    folders, n = scaled_ashby(args.postings, work)
    print(f"input: {n} real Ashby postings, chunks of 512, commit {commit()}")
    original = ps.free_port
    ps.free_port = lambda lo=PORTS[0], hi=PORTS[1]: original(lo, hi)  # type: ignore[assignment]
    times: dict[str, list[float]] = {"present": [], "absent": [], "direct": []}
    try:
        (home / "prefect").mkdir()
        with contextlib.ExitStack() as stack:
            if args.api_url:
                os.environ["PREFECT_API_URL"] = args.api_url
            else:
                os.environ.update(stack.enter_context(ps.start_server(home / "prefect")).env)
            from flows.ingest import ingest_postings

            _limits(True)
            slot, prefect_slot = _slot_ms(200)
            print(f"take + give back one slot, median of 200: concern_slot {slot:.1f} ms, "
                  f"prefect.concurrency.sync.concurrency {prefect_slot:.1f} ms")
            from flows.ingest import run_direct

            # The first import of a process pays its warm-up (model, pools, clients).
            _limits(False)
            truncate_all()
            ingest_postings(targets=folders, source="ashby")
            for i in range(args.repeat * 3):
                mode = ("present", "absent", "direct")[i % 3]
                _limits(mode == "present")
                truncate_all()
                t0 = time.perf_counter()
                if mode == "direct":
                    counts = run_direct(folders, "ashby")
                else:
                    counts = ingest_postings(targets=folders, source="ashby")
                seconds = time.perf_counter() - t0
                times[mode].append(seconds)
                print(f"{'limits ' + mode if mode != 'direct' else 'no Prefect    '}: "
                      f"{seconds:.1f}s, {counts.get('processed', 0)} postings, "
                      f"{counts.get('processed', 0) / seconds:.1f} postings/s")
                if mode != "direct":
                    _print_stages()
    finally:
        ps.free_port = original  # type: ignore[assignment]
        db.dispose()
        _embedded.stop(settings.pgdata)
    ratio = median(times["present"]) / median(times["absent"])
    direct = median(times["present"]) / median(times["direct"])
    print(f"\nslot_ms={slot:.1f} prefect_concurrency_ms={prefect_slot:.1f} "
          f"with_limits_ratio={ratio:.3f} flow_direct_ratio={direct:.3f}")


if __name__ == "__main__":
    main()

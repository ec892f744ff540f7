"""Crawl throughput on a real work pool: 200 local job boards, one worker and two.

    .venv/bin/python benchmarks/crawl.py                       # 200 boards, ~6 minutes here
    .venv/bin/python benchmarks/crawl.py --boards 100 --rate 100

Input: the board farm (`tests/support/boards.py`): the first --boards real Ashby boards of
../shared/data/postings/ashby (200 boards: 4,017 postings) served on 127.0.0.1, no faults.
One embedded PostgreSQL, one real `prefect server` (SQLite, port 4400-4499), `hirehound setup`
(the shipped queues: `scraping` limit 5) and `prefect deploy` of `crawl-due-sources` and
`crawl-sources` from prefect.yaml. Workers run chunk stages in the flow process
(HIREHOUND_CPU_WORKERS=0: several child runs share 2 cores) with the default embedding
(WordLlama). The `scraping-rate` limit is raised to --rate per minute (default 100,000: it
does not bind, so the figures are the machine's, not the limit's; the shipped 100/min would
hold a 200-board round to at least a minute). Each board is a source on its own politeness
interval of 10 ms (all boards share one host here, as all Ashby boards share one API host).

Runs, each a crawl round of every board (a run of the `crawl-due-sources` deployment as its
cron would start it, with its deployed parameters: child runs of 25 boards, 8 for 200 boards):

    direct  the same crawl without Prefect, in this process: fetch, store, chunk stages (two
            chunks in flight), on an emptied database: the work itself, for reference
    1w      first crawl on an emptied database and a fresh farm, one worker (no --limit: the
            queue's limit of 5 binds), so nearly every posting is new
    2w      the same again with two workers, --limit 3 each (the parent run takes a slot of
            one: 5 child runs at once, as with one worker; the burst spreads over both)
    quiet   2w's registry one cadence later, nothing changed on the boards: conditional
            requests only (the 304 share says how many boards answered "not modified")

Figures per run: wall time (from submitting the parent run to seeing it final), boards/s and
postings/s over that wall time, and Prefect's overhead, measured from the API:

- a child run's lifetime is PENDING (a worker took it) to its end; its work is the time
  covered by its task runs (the union of the `crawl_board` and chunk-stage task runs, which
  overlap: chunks run on two threads while boards are fetched); the rest is orchestration:
  starting the flow-run process and its imports, the flow engine, configure, the gaps between
  task runs, the artifact;
- the parent's orchestration is its own start (PENDING -> RUNNING), the time before its
  first child run exists (claim, configure) and after its last child ends (its poll interval
  of 3 s, the summary and its artifact); while children run it only waits;
- overhead per board = (parent + child orchestration seconds) / boards; overhead_share =
  orchestration / (orchestration + work), in run-seconds (child runs overlap in time).

Time inside a task counts as work, so the `rate_limit` call each board makes (an API write,
retried by the client after 2, 4, 8 s when the server's SQLite answers "database is locked"
with a 503) is in the work: the `crawl_board` task durations (median, p95, max) and the
server's count of such retryable errors are printed to show it. Last line:
`boards_per_s_1w=… boards_per_s_2w=… postings_per_s_2w=… quiet_round_s=… overhead_share=…`
(the 2-worker run's share), then `direct_boards_per_s=…`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import ASHBY, commit, fresh_home, require, truncate_all

PORTS = (4400, 4499)  # tests take 4200-4299, pool_overhead.py 4300-4399
EVERY_S = 3600
MIN_INTERVAL_S = 0.01
RETRYABLE = "Encountered retryable exception"  # the server's log line for a 503 it sends


def _published() -> int:
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as session:
        return int(session.execute(
            text("select count(*) from postings where step = 'publish'")).scalar_one())


def _farm(boards: int) -> Any:
    from tests.support.boards import BoardFarm

    return BoardFarm(n_boards=boards, seed=0, broken=0, throttled=0, slow=0, redirected=0)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ended_task_runs(children: list[Any], timeout: float = 30.0) -> dict[Any, list[Any]]:
    """Task runs of the child runs once the server has recorded every end (it records them
    in batches, a little after the runs report them)."""
    from tests.support.crawl_pool import task_runs

    deadline = time.monotonic() + timeout
    while True:
        runs = task_runs([c.id for c in children])
        if all(t.end for ts in runs.values() for t in ts) or time.monotonic() > deadline:
            return runs
        time.sleep(1.0)


def _measure(rnd: Any, boards: int, postings: int, retryable: int) -> dict[str, Any]:
    """The figures of one round (see the module doc for the method)."""
    from tests.support.crawl_pool import max_overlap, union_seconds

    tasks = _ended_task_runs(rnd.children)
    work = orchestration = 0.0
    startups = []
    for c in rnd.children:
        spans = [(t.start, t.end) for t in tasks.get(c.id, []) if t.start and t.end]
        busy = union_seconds(spans)
        life = c.end - (c.pending or c.start)
        work += busy
        orchestration += life - busy
        startups.append(c.start - (c.pending or c.start))
    p = rnd.parent
    first_child = min(c.created for c in rnd.children)
    last_end = max(c.end for c in rnd.children)
    parent = (p.start - (p.pending or p.start)) + (first_child - p.start) + (p.end - last_end)
    boards_s = [t.seconds for ts in tasks.values() for t in ts
                if t.name.startswith("crawl_board") and t.end]
    statuses = rnd.statuses()
    answered = statuses.get(200, 0) + statuses.get(304, 0)
    return {
        "wall_s": rnd.wall_s,
        "boards_per_s": boards / rnd.wall_s,
        "postings_per_s": postings / rnd.wall_s,
        "children": len(rnd.children),
        "workers": sorted({c.worker for c in rnd.children if c.worker}),
        "most_running": max_overlap((c.start, c.end) for c in rnd.children),
        "task_runs": sum(len(ts) for ts in tasks.values()),
        "startup_median_s": median(startups) if startups else 0.0,
        "work_s": work,
        "child_orchestration_s": orchestration,
        "parent_orchestration_s": parent,
        "overhead_per_board_s": (orchestration + parent) / boards,
        "overhead_share": (orchestration + parent) / max(1e-9, orchestration + parent + work),
        "board_task_p50_s": _pct(boards_s, 0.5),
        "board_task_p95_s": _pct(boards_s, 0.95),
        "board_task_max_s": max(boards_s, default=0.0),
        "share_304": statuses.get(304, 0) / max(1, answered),
        "requests": sum(statuses.values()),
        "retryable_503s": retryable,
    }


def _print(label: str, m: dict[str, Any]) -> None:
    print(
        f"{label:>6}: {m['wall_s']:6.1f}s wall, {m['boards_per_s']:5.2f} boards/s, "
        f"{m['postings_per_s']:6.1f} postings/s; {m['children']} child runs on "
        f"{', '.join(m['workers'])} (at most {m['most_running']} at once), "
        f"{m['task_runs']} task runs, start-up median {m['startup_median_s']:.1f}s"
    )
    print(
        f"{'':>6}  run-seconds: work {m['work_s']:.1f}, child orchestration "
        f"{m['child_orchestration_s']:.1f}, parent {m['parent_orchestration_s']:.1f} -> "
        f"{m['overhead_per_board_s'] * 1000:.0f} ms per board, share {m['overhead_share']:.3f};"
        f" crawl_board task p50 {m['board_task_p50_s'] * 1000:.0f} ms, p95 "
        f"{m['board_task_p95_s'] * 1000:.0f} ms, max {m['board_task_max_s']:.1f}s; "
        f"{m['requests']} requests, 304 share {m['share_304']:.3f}; server 503s (SQLite "
        f"locked) {m['retryable_503s']}",
        flush=True,
    )


def _direct(boards: int) -> dict[str, Any]:
    """The crawl without Prefect: every board fetched, stored and processed in this process."""
    from flows._runtime import configure
    from flows.ingest import _direct as direct_call
    from flows.ingest import run_fetches
    from hirehound import crawl
    from hirehound.storage import db
    from tasks import crawl as t
    from tests.support.crawl_pool import register_boards

    configure()
    truncate_all()
    with _farm(boards) as farm:
        register_boards(farm, every_s=EVERY_S, min_interval_s=MIN_INTERVAL_S)
        t0 = time.perf_counter()
        with db.transaction() as session:
            ids = crawl.claim(session, claimer="benchmark", lease_s=3600, limit=10_000)
            sources = crawl.snapshots(session, ids)

        def fetches() -> Any:
            for source in sources:
                def fetch(source: Any = source) -> dict[str, Any]:
                    got = t.crawl_board.fn(source, rate_limit_name=None)
                    return {"ids": got["ids"], "counts": got["counts"]}
                yield source.name, fetch

        counts = run_fetches(fetches(), 512, direct_call, 2)
        seconds = time.perf_counter() - t0
    postings = _published()
    return {"wall_s": seconds, "boards_per_s": boards / seconds,
            "postings_per_s": postings / seconds, "counts": dict(counts)}


def _retryable(server: Any) -> int:
    log = server.home / "server.log"
    return log.read_text(errors="replace").count(RETRYABLE) if log.exists() else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--boards", type=int, default=200)
    ap.add_argument("--rate", type=int, default=100_000, help="scraping-rate per minute")
    ap.add_argument("--limit", type=int, default=3, help="--limit of each of the two workers")
    ap.add_argument("--timeout", type=float, default=600.0, help="most seconds per round")
    args = ap.parse_args()
    require(ASHBY)

    home = fresh_home("crawl")
    # Workers run flows on this database, with these settings (and so does the direct run).
    os.environ.update({
        "HIREHOUND_CPU_WORKERS": "0",
        "HIREHOUND_ALLOW_PRIVATE_ADDRESSES": "true",
        # The server logs each 503 it answers (SQLite "database is locked"): counted per run.
        "PREFECT_API_LOG_RETRYABLE_ERRORS": "true",
    })
    from hirehound.settings import Settings
    from hirehound.storage import db, upgrade

    db.configure(Settings())
    upgrade()
    os.environ["HIREHOUND_DATABASE_URL"] = db.engine().url.render_as_string(hide_password=False)

    import tests.support.prefect_server as ps
    from deployments.setup import RateLimit
    from tests.support.crawl_pool import (
        advance_clock,
        prepare_pool,
        register_boards,
        run_round,
        worker_env,
        workers,
    )

    print(f"crawl benchmark: {args.boards} boards, scraping-rate {args.rate}/min, commit "
          f"{commit()}, {os.cpu_count()} cores", flush=True)
    t_all = time.perf_counter()
    direct = _direct(args.boards)
    print(f"direct: {direct['wall_s']:6.1f}s, {direct['boards_per_s']:5.2f} boards/s, "
          f"{direct['postings_per_s']:6.1f} postings/s (no Prefect, one process)", flush=True)

    env = worker_env(http_timeout_s=20.0, HIREHOUND_EMBEDDING_PROVIDER="wordllama")
    results: dict[str, dict[str, Any]] = {}
    original = ps.free_port
    ps.free_port = lambda lo=PORTS[0], hi=PORTS[1]: original(lo, hi)  # type: ignore[assignment]
    try:
        (home / "prefect").mkdir()
        with ps.start_server(home / "prefect") as server:
            t0 = time.perf_counter()
            prepare_pool(server, scraping_rate=RateLimit(args.rate, 60.0))
            print(f"setup and deploy: {time.perf_counter() - t0:.1f}s", flush=True)
            for label, n, limit in (("1w", 1, None), ("2w", 2, args.limit)):
                truncate_all()
                with _farm(args.boards) as farm, workers(server, n, limit=limit, env=env,
                                                          prefix=f"bench-{label}"):
                    register_boards(farm, every_s=EVERY_S, min_interval_s=MIN_INTERVAL_S)
                    before = _retryable(server)
                    rnd = run_round(farm, 1, timeout=args.timeout, with_states=True)
                    m = _measure(rnd, args.boards, _published(), _retryable(server) - before)
                    results[label] = m
                    _print(label, m)
                    if label == "2w":
                        farm.quiet_round()
                        advance_clock(EVERY_S)
                        before = _retryable(server)
                        rnd = run_round(farm, 2, timeout=args.timeout, with_states=True)
                        m = _measure(rnd, args.boards, 0, _retryable(server) - before)
                        results["quiet"] = m
                        _print("quiet", m)
    finally:
        ps.free_port = original  # type: ignore[assignment]

    print(f"\nall runs: {time.perf_counter() - t_all:.0f}s")
    one, two, quiet = results["1w"], results["2w"], results["quiet"]
    print(
        f"boards_per_s_1w={one['boards_per_s']:.2f} boards_per_s_2w={two['boards_per_s']:.2f} "
        f"postings_per_s_2w={two['postings_per_s']:.1f} quiet_round_s={quiet['wall_s']:.1f} "
        f"overhead_share={two['overhead_share']:.3f}"
    )
    print(f"direct_boards_per_s={direct['boards_per_s']:.2f} "
          f"quiet_304_share={quiet['share_304']:.3f}")


if __name__ == "__main__":
    main()

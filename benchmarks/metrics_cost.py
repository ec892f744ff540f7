"""What the exporter's records cost the workers, and what a scrape costs as they pile up.

    .venv/bin/python benchmarks/metrics_cost.py                    # 500 records, 1M-row table
    .venv/bin/python benchmarks/metrics_cost.py --records 200 --rows 100000

On a fresh embedded PostgreSQL: `--records` calls of `record_stage` one after another (one
row, the rate-limit tallies and the process's resources in one transaction: what every chunk
stage adds), then the database part of a scrape with `--rows` stage rows (synthetic, spread
over 30 days, 4 queues, 4 workers), then `roll_up` of the rows older than a week and the same
scrape again. Between records, a tally written on its own (`flush_tallies`, interleaved).
Ends with one line: `record_ms=<median> record_p95_ms=<p95> flush_ms=<median>
scrape_ms=<at --rows> roll_up_s=<first roll-up> scrape_after_roll_up_ms=<...>`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import commit, fresh_home


def _scrape_ms(repeat: int = 3) -> float:
    from prometheus_client import CollectorRegistry, generate_latest

    from hirehound.metrics import HirehoundCollector
    from hirehound.storage import db

    registry = CollectorRegistry()
    registry.register(HirehoundCollector(db.engine, None))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        generate_latest(registry)
        times.append(time.perf_counter() - t0)
    return 1000 * min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=500)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    fresh_home("metrics")
    from sqlalchemy import text

    from hirehound.metrics import StageRun, flush_tallies, record_stage, roll_up, tally_limit
    from hirehound.storage import db, upgrade

    db.configure()
    upgrade()
    took, flushes = [], []
    for i in range(args.records):
        tally_limit("processing", 0.01)
        t0 = time.perf_counter()
        record_stage(StageRun("prepare_and_check", "processing", f"w{i % 2}", "completed",
                              512, 510, 2.5, 0.01, None))
        took.append(1000 * (time.perf_counter() - t0))
        # Interleaved: the flush of tallies without a stage record (a long crawl's, every
        # 15 s at most, and at exit).
        tally_limit("scraping-rate", 0.2)
        t0 = time.perf_counter()
        flush_tallies()
        flushes.append(1000 * (time.perf_counter() - t0))
    took.sort()
    record_ms, p95 = statistics.median(took), took[int(0.95 * (len(took) - 1))]
    flush_ms = statistics.median(flushes)
    print(f"record_stage x{args.records}: median {record_ms:.2f} ms, p95 {p95:.2f} ms; "
          f"flush_tallies alone: median {flush_ms:.2f} ms")
    with db.transaction() as session:
        session.execute(text(
            "insert into stage_runs (finished_at, stage, queue, worker, status, postings_in,"
            " postings_out, duration_s) select now() - (g % 43200) * interval '1 minute',"
            " (array['prepare_and_check','extract_skills_and_embed','deduplicate_and_cluster',"
            "'index_and_publish'])[1 + g % 4], (array['processing','ml','deduplication',"
            "'indexing'])[1 + g % 4], 'w' || (g % 4), case when g % 50 = 0 then 'failed'"
            " else 'completed' end, 512, 510, (g % 600) / 10.0"
            " from generate_series(1, :n) g"), {"n": args.rows})
        session.execute(text("analyze stage_runs"))
    scrape = _scrape_ms()
    print(f"scrape (database part) with {args.rows:,} stage rows: {scrape:.0f} ms")
    t0 = time.perf_counter()
    with db.transaction() as session:
        roll_up(session)
    roll_s = time.perf_counter() - t0
    with db.transaction() as session:
        left = session.execute(text("select count(*) from stage_runs")).scalar_one()
    after = _scrape_ms()
    print(f"roll_up: {roll_s:.1f} s, {left:,} rows left; scrape after: {after:.0f} ms")
    print(f"record_ms={record_ms:.2f} record_p95_ms={p95:.2f} flush_ms={flush_ms:.2f} "
          f"scrape_ms={scrape:.0f} "
          f"roll_up_s={roll_s:.1f} scrape_after_roll_up_ms={after:.0f} commit={commit()}")


if __name__ == "__main__":
    main()

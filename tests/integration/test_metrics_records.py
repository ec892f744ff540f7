"""The stage records workers write and the figures the exporter makes of them, on the test
PostgreSQL without Prefect: counters, the histogram, rate-limit tallies, worker resources,
and the roll-up of old rows that must not change any figure."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text

from hirehound.settings import Settings

pytestmark = pytest.mark.integration


def _scrape() -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    from hirehound.metrics import HirehoundCollector
    from hirehound.storage import db

    registry = CollectorRegistry()
    registry.register(HirehoundCollector(db.engine, None))
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}"] = s.value
    return out


def _stage_figures(scrape: dict[str, float]) -> dict[str, float]:
    keep = ("hirehound_jobs_processed_total", "hirehound_job_duration_seconds",
            "hirehound_stage_postings_total", "hirehound_last_ingest_timestamp_seconds")
    return {k: v for k, v in scrape.items() if k.startswith(keep)}


def _record(**kw: Any) -> None:
    from hirehound.metrics import StageRun, record_stage

    fields: dict[str, Any] = {"stage": "prepare_and_check", "queue": "processing",
                              "worker": "w1", "status": "completed", "postings_in": 100,
                              "postings_out": 98, "duration_s": 2.0, **kw}
    record_stage(StageRun(**fields))


def test_stage_records_become_counters_and_a_histogram(clean_db: Settings) -> None:
    from hirehound.metrics import tally_limit

    _record(duration_s=0.05)
    _record(duration_s=7.0, worker="w2")
    _record(stage="extract_skills_and_embed", queue="ml", duration_s=400.0,
            postings_in=98, postings_out=0, status="failed")
    tally_limit("scraping-rate", 0.2)
    tally_limit("scraping-rate", 0.0)
    tally_limit("ml", denied=True)
    _record(duration_s=0.3)

    m = _scrape()
    assert m["hirehound_jobs_processed_total{queue=processing,status=completed,worker=w1}"] == 2
    # Each (queue, worker) has both outcomes, zero when none.
    assert m["hirehound_jobs_processed_total{queue=processing,status=failed,worker=w1}"] == 0
    assert m["hirehound_jobs_processed_total{queue=ml,status=failed,worker=w1}"] == 1
    w1 = "queue=processing,worker=w1"
    assert m[f"hirehound_job_duration_seconds_bucket{{le=0.1,{w1}}}"] == 1
    assert m[f"hirehound_job_duration_seconds_bucket{{le=0.5,{w1}}}"] == 2
    assert m[f"hirehound_job_duration_seconds_bucket{{le=+Inf,{w1}}}"] == 2
    assert m[f"hirehound_job_duration_seconds_count{{{w1}}}"] == 2
    assert m[f"hirehound_job_duration_seconds_sum{{{w1}}}"] == pytest.approx(0.35)
    ml = "queue=ml,worker=w1"
    assert m[f"hirehound_job_duration_seconds_bucket{{le=300.0,{ml}}}"] == 0
    assert m[f"hirehound_job_duration_seconds_bucket{{le=+Inf,{ml}}}"] == 1
    assert m["hirehound_stage_postings_total{direction=in,stage=prepare_and_check}"] == 300
    assert m["hirehound_stage_postings_total{direction=out,stage=prepare_and_check}"] == 294
    assert m["hirehound_rate_limit_acquired_total{limit=scraping-rate}"] == 2
    assert m["hirehound_rate_limit_waits_total{limit=scraping-rate}"] == 1
    assert m["hirehound_rate_limit_wait_seconds_total{limit=scraping-rate}"] == pytest.approx(0.2)
    assert m["hirehound_rate_limit_denials_total{limit=ml}"] == 1
    # Limits nobody used yet still have a series (the dashboard's rate panel is never empty).
    assert m["hirehound_rate_limit_waits_total{limit=enrichment-rate}"] == 0
    assert m["hirehound_worker_memory_bytes{worker=w1}"] > 10_000_000
    assert m["hirehound_worker_processes{worker=w2}"] == 1
    assert m["hirehound_database_connections{state=active}"] >= 1
    assert m["hirehound_scrape_ok{backend=database}"] == 1


def test_roll_up_keeps_every_figure(clean_db: Settings) -> None:
    from hirehound.metrics import roll_up
    from hirehound.storage import db

    for i in range(12):
        _record(duration_s=0.2 * i, worker=f"w{i % 2}", status="failed" if i == 5 else
                "completed")
    before = _stage_figures(_scrape())
    with db.transaction() as session:
        session.execute(text("update stage_runs set finished_at = now() - interval '8 days' "
                             "where id <= 8"))
    with db.transaction() as session:
        assert roll_up(session) > 0
    with db.transaction() as session:
        left = session.execute(text("select count(*) from stage_runs")).scalar_one()
        totals = session.execute(text("select sum(runs) from stage_run_totals")).scalar_one()
    assert (left, totals) == (4, 8)
    after = _stage_figures(_scrape())
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key] == pytest.approx(value), key
    # A second roll-up adds to the totals, still without changing a figure.
    _record(duration_s=1.0)
    with db.transaction() as session:
        session.execute(text("update stage_runs set finished_at = now() - interval '9 days'"))
    expected = _stage_figures(_scrape())
    with db.transaction() as session:
        roll_up(session)
    assert _stage_figures(_scrape()) == pytest.approx(expected)


def test_breaker_rows_become_states(clean_db: Settings) -> None:
    from hirehound.storage import db

    with db.transaction() as session:
        session.execute(text("insert into circuit_breakers (service, state, opened_at) values "
                             "('svc-a', 'open', now() - interval '120 seconds'), "
                             "('svc-b', 'closed', null)"))
    m = _scrape()
    assert m["hirehound_circuit_breaker_state{service=svc-a,state=open}"] == 1
    assert m["hirehound_circuit_breaker_state{service=svc-a,state=closed}"] == 0
    assert m["hirehound_circuit_breaker_open_seconds{service=svc-a}"] >= 119
    assert m["hirehound_circuit_breaker_state{service=svc-b,state=closed}"] == 1
    assert m["hirehound_circuit_breaker_open_seconds{service=svc-b}"] == 0


def test_postings_per_step_and_outcome(clean_db: Settings) -> None:
    _record(postings_in=100, postings_out=98)
    _record(postings_in=50, postings_out=0, status="failed", worker="w2")
    _record(stage="crawl_board", queue="scraping", postings_in=0, postings_out=40)
    _record(stage="compute_stats", queue="maintenance", postings_in=0, postings_out=0)

    m = _scrape()
    step = "queue=processing,status={},step=prepare_and_check"
    assert m[f"hirehound_postings_processed_total{{{step.format('completed')}}}"] == 98
    assert m[f"hirehound_postings_processed_total{{{step.format('dropped')}}}"] == 2
    assert m[f"hirehound_postings_processed_total{{{step.format('failed')}}}"] == 50
    crawl = "queue=scraping,status={},step=crawl_board"
    assert m[f"hirehound_postings_processed_total{{{crawl.format('completed')}}}"] == 40
    assert m[f"hirehound_postings_processed_total{{{crawl.format('dropped')}}}"] == 0
    # A task on no postings is a job, not a posting step.
    assert m["hirehound_jobs_processed_total{queue=maintenance,status=completed,worker=w1}"] == 1
    assert not [k for k in m if "step=compute_stats" in k]


def _limit_row(name: str) -> tuple[int, int, float, int] | None:
    from hirehound.storage import db

    with db.transaction() as session:
        row = session.execute(text(
            "select acquired, waited, wait_seconds, denied from rate_limit_stats "
            "where limit_name = :n"), {"n": name}).one_or_none()
    return None if row is None else (int(row[0]), int(row[1]), float(row[2]), int(row[3]))


def test_tallies_are_written_without_a_stage_record(clean_db: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from hirehound.metrics import _records, flush_tallies, tally_limit

    _records._tally.take()  # nothing left over from other tests
    tally_limit("scraping-rate", 0.3)
    assert _limit_row("scraping-rate") is None  # in memory, not yet due
    flush_tallies()
    assert _limit_row("scraping-rate") == (1, 1, pytest.approx(0.3), 0)
    # Counts older than FLUSH_EVERY_S go out with the next tally, no stage record needed.
    monkeypatch.setattr(_records, "FLUSH_EVERY_S", 0.0)
    tally_limit("scraping-rate", 0.0)
    tally_limit("enrichment-rate", denied=True)
    assert _limit_row("scraping-rate") == (2, 1, pytest.approx(0.3), 0)
    assert _limit_row("enrichment-rate") == (0, 0, 0.0, 1)
    flush_tallies()  # nothing left: writes nothing
    assert _limit_row("scraping-rate") == (2, 1, pytest.approx(0.3), 0)


_TALLYING_PROCESS = """
import sys
from hirehound.settings import Settings
from hirehound.storage import db
from hirehound.metrics import tally_limit
db.configure(Settings())
for _ in range(int(sys.argv[1])):
    tally_limit("scraping-rate", 0.1)
tally_limit("scraping", denied=True)
"""


def test_processes_that_only_wait_add_up_at_exit(clean_db: Settings) -> None:
    """Two worker processes that take rate-limit tokens and never record a stage (a crawl
    cut short, a task that only waited): their counts land when they exit, and add up."""
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-c", _TALLYING_PROCESS, str(n)])
             for n in (3, 5)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert _limit_row("scraping-rate") == (8, 8, pytest.approx(0.8), 0)
    assert _limit_row("scraping") == (0, 0, 0.0, 2)

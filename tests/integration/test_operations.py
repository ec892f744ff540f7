"""Operations end to end against a real `prefect server` process and real process workers.

One server per module (SQLite in a temp folder, port picked free in 4200-4299, scheduler off so
cron deployments don't fire mid-test, task-run recorder batch sizes raised). `setup()` runs
twice (the second changes nothing), the test deployments and the real maintenance ones are
deployed with `prefect deploy`, and a worker runs them (server, deploy and worker helpers:
`tests/support/prefect_server.py`).

Timings (heartbeats can't be sent more often than every 30 s) are printed with `-s`.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.httpserver import Request, Response, serve
from tests.support.prefect_server import (
    DONE,
    HEARTBEAT_S,
    ROOT,
    Server,
    deploy,
    kill_tree,
    start_server,
    start_worker,
    stop_process,
    submit,
    wait_for_run,
)

pytestmark = pytest.mark.integration

STUCK_AFTER_S = 45  # 1.5x the heartbeat: the smallest window setup accepts
TEST_RATE = ("test-rate", 3, 2.0)  # 3 per 2 s
# Queues the shared worker polls; `rescue` is polled only by the worker the kill test owns,
# `block-only` by the worker that has no database of its own but the settings block's.
SHARED_QUEUES = ("serial", "critical", "cron", "maintenance")
BLOCK_ONLY_QUEUE = "block-only"


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[str, list[Request]]]:
    received: list[Request] = []

    def handler(req: Request) -> Response:
        received.append(req)
        return Response(200, b"{}")

    with serve(handler) as url:
        yield f"{url}/alerts", received


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("prefect-server")) as server:
        yield server


@pytest.fixture(scope="module")
def setup_reports(server: Server, sink: tuple[str, list[Request]]) -> tuple[Any, Any]:
    from deployments.setup import QUEUES, RATE_LIMITS, RateLimit, SetupConfig, setup

    name, allowed, period = TEST_RATE
    config = SetupConfig(
        queues={**QUEUES, "serial": 1, "rescue": 2, BLOCK_ONLY_QUEUE: 3},
        rate_limits={**RATE_LIMITS, name: RateLimit(allowed, period)},
        alert_webhook_url=sink[0],
        alert_allow_private=True,
        heartbeat_s=HEARTBEAT_S,
        stuck_after_s=STUCK_AFTER_S,
    )
    t0 = time.monotonic()
    first = setup(config=config)
    t1 = time.monotonic()
    second = setup(config=config)
    print(f"[ops] setup: {t1 - t0:.1f}s first, {time.monotonic() - t1:.1f}s re-run")
    return first, second


@pytest.fixture(scope="module")
def deployed(server: Server, setup_reports: Any) -> list[str]:
    """The test flows (a test prefect.yaml) and the real file's deployments whose flow files
    exist (all of them with `--all` once ingest and enrich have landed)."""
    import yaml

    test_file = server.home / "ops-prefect.yaml"
    queues = {"nap": "serial", "explode": "critical", "hang_once": "rescue"}
    test_file.write_text(
        yaml.safe_dump(
            {
                "name": "hirehound-ops-tests",
                "pull": [
                    {
                        "prefect.deployments.steps.set_working_directory": {
                            "directory": "{{ $HIREHOUND_WORKDIR }}"
                        }
                    }
                ],
                "deployments": [
                    {
                        "name": f"test-{fn}",
                        "entrypoint": f"tests/integration/ops_flows.py:{fn}",
                        "work_pool": {"name": "hirehound", "work_queue_name": q},
                    }
                    for fn, q in queues.items()
                ],
            }
        )
    )
    t0 = time.monotonic()
    deploy(server, "--all", "--prefect-file", str(test_file))
    real = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    present = [d["name"] for d in real if (ROOT / d["entrypoint"].split(":")[0]).exists()]
    if len(present) == len(real):
        deploy(server, "--all")
    else:
        deploy(server, *[a for n in present for a in ("-n", n)])
    print(f"[ops] prefect deploy: {time.monotonic() - t0:.1f}s ({len(present)} real deployments)")
    return present


@pytest.fixture(scope="module")
def worker(server: Server, deployed: list[str], database_settings: Any) -> Iterator[None]:
    # database_settings: the embedded PostgreSQL the maintenance flow writes (its URL is in
    # HIREHOUND_DATABASE_URL, inherited by the worker and its flow-run processes).
    proc = start_worker(server, SHARED_QUEUES, "shared")
    try:
        yield
    finally:
        stop_process(proc)


# --- tests ------------------------------------------------------------------------------------


def test_setup_creates_everything_then_changes_nothing(setup_reports: tuple[Any, Any]) -> None:
    from prefect.client.orchestration import get_client

    first, second = setup_reports
    assert first.count("created") >= 9 + 11 + 3, first.render()
    assert not second.changed, second.render()
    with get_client(sync_client=True) as client:
        queues = {
            q.name: q.concurrency_limit for q in client.read_work_queues(work_pool_name="hirehound")
        }
        assert queues["critical"] == 10 and queues["processing"] == 20 and queues["cron"] == 5
        scraping = client.read_global_concurrency_limit_by_name("scraping-rate")
        assert scraping.limit == 100
        assert scraping.slot_decay_per_second == pytest.approx(100 / 60)
        assert client.read_global_concurrency_limit_by_name("deduplication").limit == 15
        names = {a.name for a in client.read_automations()}
        assert {
            "hirehound-alert-on-failure",
            "hirehound-crash-stuck-runs",
            "hirehound-retry-rescued-runs",
        } <= names


def _not_seen_for(posting_id: int, days: float) -> None:
    """Backdate when a fetch last saw the posting (the factory leaves it at now())."""
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as session:
        session.execute(
            text("update postings set last_seen_at = now() - :d * interval '1 day' where id = :id"),
            {"d": days, "id": posting_id},
        )


def test_a_deployment_runs_through_the_worker(worker: None, clean_db: Any) -> None:
    """The real `expire-postings` maintenance deployment, run by the worker, expires a posting
    no fetch has seen for longer than `max_age_days`."""
    from sqlalchemy import text

    from hirehound.storage import db

    db.configure(clean_db)
    from tests.factories import add_posting

    raw_id = add_posting("old-1", status="active", age_days=90)
    _not_seen_for(raw_id, 90)
    t0 = time.monotonic()
    run_id = submit("expire-postings/expire-postings", max_age_days=30).id
    run = wait_for_run(run_id, until=DONE, timeout=90)
    print(f"[ops] expire-postings through the worker: {time.monotonic() - t0:.1f}s")
    assert run.state.type.value == "COMPLETED", run.state
    with db.transaction() as session:
        status = session.execute(
            text("select status from postings where id = :id"), {"id": raw_id}
        ).scalar_one()
    assert status == "expired"


def test_runs_use_the_settings_block_not_the_worker_environment(
    server: Server, deployed: Any, clean_db: Any
) -> None:
    """A worker with no HIREHOUND_DATABASE_URL and an empty HIREHOUND_HOME of its own runs the
    real `expire-postings` and `enrich-organization` deployments with `settings_block` naming a
    block that points at the test database: their effects land there (not in an embedded
    database of the worker's, which is never created), and a block that does not exist fails
    the run with a one-line error naming it."""
    import os

    from prefect_sqlalchemy import SqlAlchemyConnector
    from sqlalchemy import text

    from blocks import HirehoundSettings, connector_from_url
    from hirehound.orgs import match_or_create
    from hirehound.storage import db
    from tests.factories import add_posting

    db.configure(clean_db)
    block = "ops-test-database"
    # The test database's URL (fixture), as the connector block an operator edits in the UI.
    connector_from_url(os.environ["HIREHOUND_DATABASE_URL"]).save(f"{block}-db", overwrite=True)
    HirehoundSettings(
        database=SqlAlchemyConnector.load(f"{block}-db"), embedding_provider="hashing",
    ).save(block, overwrite=True)
    posting = add_posting("unseen-1", age_days=3)
    _not_seen_for(posting, 45)
    with db.transaction() as session:
        # No website, domain or API key: only the offline reference source answers.
        [org] = match_or_create(session, [("Zyxqv Block Only Labs", None)])
    worker_home = server.home / "block-only-home"
    proc = start_worker(
        server,
        (BLOCK_ONLY_QUEUE,),
        "block-only",
        limit=3,
        env={"HIREHOUND_DATABASE_URL": None, "HIREHOUND_HOME": str(worker_home)},
    )
    try:
        t0 = time.monotonic()
        on_queue = {"work_queue_name": BLOCK_ONLY_QUEUE}
        ids = [
            submit("expire-postings/expire-postings", **on_queue, max_age_days=30,
                   settings_block=block),
            submit("enrich-organization/enrich-organization", **on_queue, org_id=org,
                   settings_block=block),
            submit("expire-postings/expire-postings", **on_queue, settings_block="no-such-block"),
        ]
        expire, enrich, missing = (wait_for_run(r.id, until=DONE, timeout=150) for r in ids)
        print(f"[ops] expire + enrich + missing block on a block-only worker: "
              f"{time.monotonic() - t0:.1f}s")
    finally:
        stop_process(proc)
    assert expire.state.type.value == "COMPLETED", expire.state
    assert enrich.state.type.value == "COMPLETED", enrich.state
    with db.transaction() as session:
        status, reason = session.execute(
            text("select status, status_reason from postings where id = :id"), {"id": posting}
        ).one()
        enriched_at = session.execute(
            text("select enriched_at from organizations where id = :id"), {"id": org}
        ).scalar_one()
    assert (status, reason) == ("expired", "not seen for 30 days")
    assert enriched_at is not None
    assert not (worker_home / "pgdata").exists()
    assert missing.state.type.value == "FAILED"
    message = missing.state.message or ""
    assert "'no-such-block'" in message and "hirehound setup" in message, message
    assert "\n" not in message.strip(), message


def test_queue_limit_of_one_serializes_runs(worker: None) -> None:
    t0 = time.monotonic()
    ids = [submit("nap/test-nap", seconds=1.5).id for _ in range(3)]
    runs = [wait_for_run(i, until=DONE, timeout=120) for i in ids]
    print(f"[ops] 3 runs on a queue of limit 1: {time.monotonic() - t0:.1f}s")
    assert all(r.state.type.value == "COMPLETED" for r in runs)
    spans = sorted((r.start_time, r.end_time) for r in runs)
    for (_, prev_end), (start, _) in itertools.pairwise(spans):
        assert start >= prev_end, f"runs overlapped: {spans}"


def test_rate_limit_holds_under_a_burst(server: Server, setup_reports: Any) -> None:
    from tests.integration.ops_flows import burst

    name, allowed, period = TEST_RATE
    n = 9
    t0 = time.monotonic()
    stamps = burst(n=n, limit_name=name)
    print(f"[ops] burst of {n} on {allowed}/{period}s: {time.monotonic() - t0:.1f}s")
    rate = allowed / period
    first = stamps[0]
    for i, stamp in enumerate(stamps):
        # A token bucket: `allowed` at once, then `rate` per second (0.3 s for clock skew).
        assert i + 1 <= allowed + rate * (stamp - first + 0.3), (i, stamp - first, stamps)
    assert stamps[-1] - first >= (n - allowed) / rate - 0.5


def test_failing_run_alerts_the_webhook(worker: None, sink: tuple[str, list[Request]]) -> None:
    _, received = sink
    message = f"boom-{uuid.uuid4().hex[:8]}"
    run = wait_for_run(submit("explode/test-explode", message=message).id, until=DONE, timeout=90)
    assert run.state.type.value == "FAILED"
    failed_at = time.monotonic()
    deadline = failed_at + 30
    alert = None
    while alert is None and time.monotonic() < deadline:
        alert = next((r for r in received if message.encode() in r.body), None)
        time.sleep(0.2)
    assert alert is not None, [r.body[:300] for r in received]
    print(f"[ops] alert arrived {time.monotonic() - failed_at:.1f}s after the run failed")
    payload = json.loads(alert.body)
    assert run.name in payload["body"] and message in payload["body"]
    # The run came from the critical queue: the alert says so.
    assert payload["subject"].startswith("[CRITICAL]")
    assert "severity: critical" in payload["body"]


def test_killed_worker_run_is_marked_crashed_and_retried(server: Server, deployed: Any) -> None:
    from prefect.client.orchestration import get_client

    doomed = start_worker(server, ("rescue",), "doomed")
    rescuer = None
    try:
        run_id = submit("hang-once/test-hang_once", seconds=600).id
        wait_for_run(run_id, until={"RUNNING"}, timeout=90)
        time.sleep(1)
        kill_tree(doomed)  # worker and its flow-run process: the machine is gone
        killed_at = time.monotonic()
        rescuer = start_worker(server, ("rescue",), "rescuer")
        crashed = wait_for_run(run_id, until={"CRASHED", "SCHEDULED", "COMPLETED"}, timeout=120)
        crash_s = time.monotonic() - killed_at
        final = wait_for_run(run_id, until={"COMPLETED", "FAILED"}, timeout=120)
        print(
            f"[ops] rescue: seen {crashed.state.name} {crash_s:.0f}s after SIGKILL, "
            f"completed {time.monotonic() - killed_at:.0f}s after it"
        )
        assert final.state.type.value == "COMPLETED"
        assert final.run_count >= 2
        with get_client(sync_client=True) as client:
            history = client.read_flow_run_states(run_id)
        names = [s.name for s in history]
        crash = next(s for s in history if s.name == "Crashed")
        assert "no heartbeat" in (crash.message or ""), names
        assert "AwaitingRetry" in names, names
    finally:
        stop_process(doomed)
        if rescuer is not None:
            stop_process(rescuer)


def test_prune_deletes_finished_runs(server: Server) -> None:
    """Runs last: `max_age_days=0` prunes every finished run on this module's server."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from flows.maintenance import prune_old_runs
    from tests.integration.ops_flows import nap

    finished = nap(seconds=0, return_state=True)
    run_id = finished.state_details.flow_run_id
    deleted = prune_old_runs(max_age_days=0)
    assert deleted >= 1
    with get_client(sync_client=True) as client, pytest.raises(ObjectNotFound):
        client.read_flow_run(run_id)

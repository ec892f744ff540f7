"""Operations end to end against a real `prefect server` process and real process workers.

One server per module (SQLite in a temp folder, port picked free in 4200-4299, scheduler off so
cron deployments don't fire mid-test, task-run recorder batch sizes raised). `setup()` runs
twice (the second changes nothing), the test deployments and the real maintenance ones are
deployed with `prefect deploy`, and a worker runs them.

Timings (heartbeats can't be sent more often than every 30 s) are printed with `-s`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.httpserver import Request, Response, serve

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
HEARTBEAT_S = 30  # Prefect's minimum
STUCK_AFTER_S = 45  # 1.5x the heartbeat: the smallest window setup accepts
TEST_RATE = ("test-rate", 3, 2.0)  # 3 per 2 s
# Queues the shared worker polls; `rescue` is polled only by the worker the kill test owns.
SHARED_QUEUES = ("serial", "critical", "cron", "maintenance")


def _free_port(lo: int = 4200, hi: int = 4299) -> int:
    for port in range(lo, hi + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {lo}-{hi}")


def _kill_tree(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    import psutil

    with contextlib.suppress(psutil.NoSuchProcess):
        procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.send_signal(sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=15)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    # Workers ignore the first SIGTERM (DESIGN): send two, then kill what is left.
    if proc.poll() is None:
        for _ in range(2):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            time.sleep(0.3)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)


def _drain_clients() -> None:
    """Flush this process's event and log workers while the server is up: they are process
    singletons and would otherwise keep sending to it after it stops (as prefect_test_harness
    does on exit)."""
    import inspect

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        with contextlib.suppress(RuntimeError):
            result = APILogWorker.instance().drain()
            if inspect.isawaitable(result):
                await result
        result = EventsWorker.drain_all()
        if inspect.isawaitable(result):
            await result

    run_coro_as_sync(drain())


@dataclass
class Server:
    api: str
    home: Path
    env: dict[str, str]


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
    from prefect.settings import PREFECT_API_URL, temporary_settings

    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home / "prefect-home"),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "200",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_EVENTS_PROACTIVE_GRANULARITY": "PT2S",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        import httpx

        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError((home / "server.log").read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("prefect server did not start in 90 s")
            time.sleep(0.5)
        print(f"\n[ops] prefect server ready in {time.monotonic() - t0:.1f}s on port {port}")
        # Overrides only: merged over os.environ at each use (the database fixture adds
        # HIREHOUND_DATABASE_URL after this one starts).
        client_env = {
            "PREFECT_API_URL": api,
            "PREFECT_HOME": str(home / "client-home"),
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
        with temporary_settings(updates={PREFECT_API_URL: api}):
            try:
                yield Server(api, home, client_env)
            finally:
                _drain_clients()
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def setup_reports(server: Server, sink: tuple[str, list[Request]]) -> tuple[Any, Any]:
    from deployments.setup import QUEUES, RATE_LIMITS, RateLimit, SetupConfig, setup

    name, allowed, period = TEST_RATE
    config = SetupConfig(
        queues={**QUEUES, "serial": 1, "rescue": 2},
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


def _deploy(server: Server, *args: str) -> None:
    proc = subprocess.run(
        [PREFECT, "--no-prompt", "deploy", *args],
        cwd=ROOT,
        # HIREHOUND_WORKDIR unset: the placeholder stays and the worker resolves it.
        env={k: v for k, v in {**os.environ, **server.env}.items() if k != "HIREHOUND_WORKDIR"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


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
    _deploy(server, "--all", "--prefect-file", str(test_file))
    real = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    present = [d["name"] for d in real if (ROOT / d["entrypoint"].split(":")[0]).exists()]
    if len(present) == len(real):
        _deploy(server, "--all")
    else:
        _deploy(server, *[a for n in present for a in ("-n", n)])
    print(f"[ops] prefect deploy: {time.monotonic() - t0:.1f}s ({len(present)} real deployments)")
    return present


def _start_worker(server: Server, queues: tuple[str, ...], name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **server.env,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "0",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S),
        "HIREHOUND_WORKDIR": str(ROOT),
        "HIREHOUND_HOME": str(server.home / "hirehound-home"),
    }
    args = [PREFECT, "worker", "start", "--pool", "hirehound", "--name", name]
    for q in queues:
        args += ["--work-queue", q]
    log = (server.home / f"{name}.log").open("ab")
    return subprocess.Popen(
        args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
    )


@pytest.fixture(scope="module")
def worker(server: Server, deployed: list[str], database_settings: Any) -> Iterator[None]:
    # database_settings: the embedded PostgreSQL the maintenance flow writes (its URL is in
    # HIREHOUND_DATABASE_URL, inherited by the worker and its flow-run processes).
    proc = _start_worker(server, SHARED_QUEUES, "shared")
    try:
        yield
    finally:
        _stop(proc)


def _wait(run_id: Any, *, until: set[str], timeout: float) -> Any:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(run_id)
            if run.state is not None and run.state.type.value in until:
                return run
            if time.monotonic() > deadline:
                state = run.state.name if run.state else None
                raise AssertionError(f"run {run.name} still {state} after {timeout:.0f}s")
            time.sleep(0.5)


def _submit(name: str, **parameters: Any) -> Any:
    from prefect.deployments import run_deployment

    return run_deployment(name, parameters=parameters, timeout=0)


DONE = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


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


def test_a_deployment_runs_through_the_worker(worker: None, clean_db: Any) -> None:
    """The real `expire-jobs` maintenance deployment, run by the worker, expires a stale
    posting in the database."""
    from sqlalchemy import text

    from hirehound.storage import db

    db.configure(clean_db)
    from tests.factories import add_posting

    raw_id = add_posting("old-1", status="active", age_days=90)
    t0 = time.monotonic()
    run = _wait(_submit("expire-jobs/expire-jobs", max_age_days=30).id, until=DONE, timeout=90)
    print(f"[ops] expire-jobs through the worker: {time.monotonic() - t0:.1f}s")
    assert run.state.type.value == "COMPLETED", run.state
    with db.transaction() as session:
        status = session.execute(
            text("select status from postings where id = :id"), {"id": raw_id}
        ).scalar_one()
    assert status == "expired"


def test_queue_limit_of_one_serializes_runs(worker: None) -> None:
    t0 = time.monotonic()
    ids = [_submit("nap/test-nap", seconds=1.5).id for _ in range(3)]
    runs = [_wait(i, until=DONE, timeout=120) for i in ids]
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
    run = _wait(_submit("explode/test-explode", message=message).id, until=DONE, timeout=90)
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

    doomed = _start_worker(server, ("rescue",), "doomed")
    rescuer = None
    try:
        run_id = _submit("hang-once/test-hang_once", seconds=600).id
        _wait(run_id, until={"RUNNING"}, timeout=90)
        time.sleep(1)
        _kill_tree(doomed)  # worker and its flow-run process: the machine is gone
        killed_at = time.monotonic()
        rescuer = _start_worker(server, ("rescue",), "rescuer")
        crashed = _wait(run_id, until={"CRASHED", "SCHEDULED", "COMPLETED"}, timeout=120)
        crash_s = time.monotonic() - killed_at
        final = _wait(run_id, until={"COMPLETED", "FAILED"}, timeout=120)
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
        _stop(doomed)
        if rescuer is not None:
            _stop(rescuer)


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

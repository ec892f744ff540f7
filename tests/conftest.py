"""Session-wide real services: one embedded PostgreSQL + pgvector, one Prefect test harness.

Every test gets its own HIREHOUND_HOME under tmp_path; the database server lives in a
session temp folder and tables are truncated between tests that ask for `clean_db`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hirehound.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# The CLI's local Prefect API keeps a migrated database for new Prefect homes in the user's
# cache (hirehound/cli/_prefect_api.py); tests keep theirs for the session only.
os.environ.setdefault("HIREHOUND_PREFECT_TEMPLATE_DIR",
                      tempfile.mkdtemp(prefix="hh-test-prefect-template-", dir="/tmp"))


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test when that folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not present: {path}")
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIREHOUND_HOME", str(tmp_path / "home"))
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def database_settings() -> Iterator[Settings]:
    """Settings pointing at the test database: external when HIREHOUND_TEST_DATABASE_URL is
    set, else a fresh embedded server in its own temporary folder."""
    from hirehound.storage import db, upgrade

    url = os.environ.get("HIREHOUND_TEST_DATABASE_URL")
    # As root, pgserver runs the server as its own user and opens every parent folder to it;
    # pytest keeps its temp root private (0700, re-applied by every session), so use /tmp.
    home = Path(tempfile.mkdtemp(prefix="hh-test-pg-", dir="/tmp"))
    settings = Settings(home=home, database_url=url, embedding_provider="hashing")
    os.environ["HIREHOUND_DATABASE_URL"] = url or ""
    db.configure(settings)
    if not url:
        # Processes started by tests (CLI, workers) must reach the same server.
        os.environ["HIREHOUND_DATABASE_URL"] = db.engine().url.render_as_string(
            hide_password=False
        )
    upgrade()
    yield settings
    db.dispose()
    if not url:
        from hirehound.storage import _embedded

        _embedded.stop(settings.pgdata)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def clean_db(database_settings: Settings) -> Iterator[Settings]:
    """The test database with every Hirehound table emptied (before the test)."""
    from sqlalchemy import text

    from hirehound.storage import db
    from hirehound.storage.models import Base

    db.configure(database_settings)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "hirehound_meta")
    with db.transaction() as session:
        session.execute(text(f"truncate {tables} restart identity cascade"))
    yield database_settings


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (one per test is far too slow)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield

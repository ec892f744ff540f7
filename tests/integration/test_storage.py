"""The embedded server's lifecycle and the schema, against real PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from hirehound.errors import ConfigurationError, StorageError
from hirehound.settings import Settings
from hirehound.storage import _embedded, db, schema_status

pytestmark = pytest.mark.integration

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sqlalchemy import text
    from hirehound.settings import Settings
    from hirehound.storage import db
    db.configure(Settings(home=Path(sys.argv[1]), database_url=None))
    with db.engine().connect() as c:
        print(c.execute(text("select pg_backend_pid()")).scalar(), flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def _child(home: Path, sleep: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), str(sleep)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_schema_is_at_head_with_pgvector(database_settings: Settings) -> None:
    status = schema_status()
    assert status.up_to_date
    assert status.pgvector_version and status.server_version
    assert status.embedding_dim == database_settings.embedding_dim


def test_embedded_server_shared_reused_and_recovered_after_sigkill(tmp_path: Path) -> None:
    home = Path("/tmp") / f"hh-test-life-{os.getpid()}-{time.time_ns()}"
    pgdata = home / "pgdata"
    first = _child(home, 30)
    assert first.stdout is not None
    first.stdout.readline()  # connected
    server = _embedded.server_pid(pgdata)
    assert server is not None

    # A second process joins the same server instead of starting another.
    second = _child(home, 0)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert _embedded.server_pid(pgdata) == server

    # The owner dies without cleanup: the next start prunes it and reuses the server...
    first.send_signal(signal.SIGKILL)
    first.wait()
    third = _child(home, 0)
    _, err = third.communicate(timeout=60)
    assert third.returncode == 0, err
    # ...and once nobody alive uses it, the watchdog stops it.
    deadline = time.time() + 5 * _embedded.WATCHDOG_INTERVAL_S + 10
    while time.time() < deadline and _embedded.server_pid(pgdata) is not None:
        time.sleep(0.5)
    assert _embedded.server_pid(pgdata) is None


def test_orphan_of_sigkill_is_stopped_by_watchdog() -> None:
    home = Path("/tmp") / f"hh-test-orphan-{os.getpid()}-{time.time_ns()}"
    child = _child(home, 60)
    assert child.stdout is not None
    child.stdout.readline()
    assert _embedded.server_pid(home / "pgdata") is not None
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.time() + 5 * _embedded.WATCHDOG_INTERVAL_S + 10
    while time.time() < deadline and _embedded.server_pid(home / "pgdata") is not None:
        time.sleep(0.5)
    assert _embedded.server_pid(home / "pgdata") is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql://u:p@localhost/db", "must point at PostgreSQL"),
        # Nothing listens on port 1: refused at once, one clear line.
        ("postgresql://u:secret@127.0.0.1:1/db", "cannot connect to PostgreSQL"),
    ],
)
def test_bad_database_url_gives_one_clear_error(url: str, message: str) -> None:
    with pytest.raises((ConfigurationError, StorageError), match=message) as info:
        db.resolve_url(Settings(database_url=url)) if "PostgreSQL at" not in message else None
        db._check(db.create_engine(db.resolve_url(Settings(database_url=url))[0]), url)
    assert "secret" not in str(info.value)
    assert "\n" not in str(info.value)


def test_unwritable_home_is_a_configuration_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/hirehound-cannot-exist")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "home"
    with pytest.raises(ConfigurationError, match="HIREHOUND_HOME"):
        _embedded.start(target / "pgdata")


def test_concurrent_upgrades_do_not_race(database_settings: Settings) -> None:
    code = (
        "from hirehound.storage import db, upgrade; db.configure(); print(upgrade())"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1] == schema_status().head
    with db.transaction() as s:
        assert s.execute(text("select count(*) from pg_extension where extname='vector'")).scalar()


def test_upgrade_to_0005_moves_search_documents_out_of_postings(clean_db: Settings) -> None:
    """A database from before 0005 keeps every posting's search document."""
    from alembic import command

    from hirehound.storage import migrate, upgrade
    from tests.factories import add_posting

    posting = add_posting("s-1", title="Data engineer")
    with db.engine().connect() as conn:
        command.downgrade(migrate._config(conn, clean_db.embedding_dim), "0004")
        conn.execute(text("update postings set search_document = to_tsvector('english', title)"))
        conn.commit()
    db.engine().dispose()  # pooled connections cached the old table layout

    assert upgrade() == schema_status().head
    with db.transaction() as s:
        docs = s.execute(text("select posting_id, document::text from search_documents")).all()
        column = s.execute(text(
            "select count(*) from information_schema.columns "
            "where table_name = 'postings' and column_name = 'search_document'")).scalar()
    assert docs == [(posting, "'data':1 'engin':2")]
    assert column == 0


def test_upgrade_to_0012_gives_every_search_document_its_rank_vector(clean_db: Settings) -> None:
    """A database from before 0012 gets the rank vectors `index_postings` would write."""
    from alembic import command

    from hirehound.search import index_postings
    from hirehound.storage import migrate, upgrade
    from tests.factories import add_posting

    posting = add_posting("s-1", title="Data engineer")
    with db.transaction() as s:
        s.execute(text("update postings set description_text = :t, company = 'Acme' "
                       "where id = :i"), {"t": "Build pipelines. " * 60, "i": posting})
        index_postings(s, [posting])
        wanted = s.execute(text("select posting_id, rank_vector::text from search_ranks")).all()
    with db.engine().connect() as conn:
        command.downgrade(migrate._config(conn, clean_db.embedding_dim), "0011")
        conn.commit()
    db.engine().dispose()  # pooled connections cached the old table layout

    assert upgrade() == schema_status().head
    with db.transaction() as s:
        ranks = s.execute(text("select posting_id, rank_vector::text from search_ranks")).all()
    assert ranks == wanted and len(ranks) == 1 and "'acme':3B" in ranks[0][1]

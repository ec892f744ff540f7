"""Schema migrations (Alembic) run from Python, safe when several processes start at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from hirehound.storage import db

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant shared by every process: serializes extension creation and migrations
# (CREATE EXTENSION races between two processes otherwise).
_ADVISORY_LOCK = 0x48_48_44_42  # "HHDB"


def _config(connection: Connection, embedding_dim: int) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["embedding_dim"] = embedding_dim
    return cfg


def head_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(revision: str = "head") -> str | None:
    """Create extensions and bring the schema to `revision`; return the new revision."""
    settings = db.settings()
    with db.engine().connect() as conn:
        with conn.begin():
            conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
            conn.execute(text("create extension if not exists vector"))
        # The session lock is held across Alembic's own transactions.
        conn.execute(text("select pg_advisory_lock(:k)"), {"k": _ADVISORY_LOCK})
        try:
            if current_revision(conn) != head_revision() or revision != "head":
                command.upgrade(_config(conn, settings.embedding_dim), revision)
            conn.commit()
            rev = current_revision(conn)
        finally:
            conn.execute(text("select pg_advisory_unlock(:k)"), {"k": _ADVISORY_LOCK})
            conn.commit()
    # New extension types: reconnect so pooled connections register `vector`.
    db.engine().dispose()
    return rev


def ensure_schema() -> None:
    """Upgrade when the database is behind; a cheap check when it is current."""
    with db.engine().connect() as conn:
        if current_revision(conn) == head_revision():
            return
    upgrade()


@dataclass(frozen=True)
class SchemaStatus:
    url: str
    embedded: bool
    server_version: str
    pgvector_version: str | None
    revision: str | None
    head: str
    embedding_dim: int | None
    postings: int | None

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


def schema_status() -> SchemaStatus:
    """What `hirehound db status` reports."""
    from sqlalchemy.engine import make_url

    eng = db.engine()
    with eng.connect() as conn:
        version = conn.execute(text("show server_version")).scalar_one()
        vector = conn.execute(
            text("select extversion from pg_extension where extname = 'vector'")
        ).scalar()
        rev = current_revision(conn)
        dim = postings = None
        if rev is not None:
            dim_s = conn.execute(
                text("select value from hirehound_meta where key = 'embedding_dim'")
            ).scalar()
            dim = int(dim_s) if dim_s else None
            postings = conn.execute(text("select count(*) from postings")).scalar_one()
    return SchemaStatus(
        url=make_url(str(eng.url)).render_as_string(hide_password=True),
        embedded=db.is_embedded(),
        server_version=str(version),
        pgvector_version=vector,
        revision=rev,
        head=head_revision(),
        embedding_dim=dim,
        postings=postings,
    )

"""One engine and sessionmaker per process; callers frame transactions with `transaction()`.

    with db.transaction() as session:
        storage.upsert_raw(session, records)

Repository functions take the session and never commit: the caller's `with` block does.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from hirehound.errors import ConfigurationError, StorageError
from hirehound.settings import Settings
from hirehound.storage import _embedded

log = logging.getLogger(__name__)

_lock = threading.Lock()
_state: _State | None = None


@dataclass
class _State:
    settings: Settings
    url: str = field(repr=False)  # holds the password
    engine: Engine
    sessions: sessionmaker[Session]
    embedded: bool


def resolve_url(settings: Settings) -> tuple[str, bool]:
    """The SQLAlchemy URL to use and whether it is the embedded server (started here)."""
    if settings.database_url:
        raw = settings.database_url.get_secret_value().strip()
        try:
            url = make_url(raw)
        except (ArgumentError, ValueError):  # ValueError: a bad port
            raise ConfigurationError(
                f"HIREHOUND_DATABASE_URL is not a database URL: {_masked(raw)!r} "
                "(expected postgresql://user:password@host:5432/dbname)"
            ) from None
        if not url.drivername.startswith("postgresql"):
            raise ConfigurationError(
                f"HIREHOUND_DATABASE_URL must point at PostgreSQL, not {url.drivername!r}"
            )
        url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False), False
    return _embedded.start(settings.pgdata), True


def _masked(raw: str) -> str:
    # An unparseable URL may still hold a password between "://" and "@": never echo it.
    return re.sub(r"(?<=://)[^/@]*@", "***@", raw)


def configure(settings: Settings | None = None, *, check: bool = True) -> Engine:
    """Build (once per process) the engine for `settings`; check that the server answers."""
    global _state
    with _lock:
        if _state is not None and (settings is None or settings == _state.settings):
            return _state.engine
        if _state is not None:
            _state.engine.dispose()
        settings = settings or Settings()
        url, embedded = resolve_url(settings)
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            echo=settings.log_sql,
            connect_args={"connect_timeout": 10, "application_name": "hirehound"},
        )
        _register_vector(engine)
        if check:
            _check(engine, url)
        sessions = sessionmaker(engine, expire_on_commit=False)
        _state = _State(settings, url, engine, sessions, embedded)
        return engine


def _register_vector(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Register the vector type when the extension exists (it does after migrations).
        from pgvector.psycopg import register_vector

        with contextlib.suppress(Exception):
            register_vector(dbapi_conn)


def _check(engine: Engine, url: str) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        safe = make_url(url).render_as_string(hide_password=True)
        raise StorageError(f"cannot connect to PostgreSQL at {safe}: {reason}") from None


def configured() -> bool:
    """Whether this process has an engine (without building one: that may start a server)."""
    return _state is not None


# SQLSTATE classes of a server that is away or busy rather than of the statement: connection
# exceptions (08), operator intervention (57: shutdown, "starting up"), insufficient resources
# (53: too many connections), transaction rollback (40: deadlock, serialization).
_OUTAGE_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57"})


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` (or what it was raised from) says the database could not be reached or
    went away (a restart, a failover), so the same work will go through once it is back;
    never bad data, whose retry would fail the same way."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, (StorageError, DisconnectionError, PoolTimeout, ConnectionError)):
            return True
        if isinstance(cur, DBAPIError):
            if cur.connection_invalidated:
                return True
            state = getattr(cur.orig, "sqlstate", None)
            if state:
                return state[:2] in _OUTAGE_SQLSTATE_CLASSES
            # No SQLSTATE: refused or dropped before the server said anything.
            return isinstance(cur, (OperationalError, InterfaceError))
        cur = cur.__cause__ or cur.__context__
    return False


def engine() -> Engine:
    """The process's engine (configured from the environment on first use)."""
    return configure() if _state is None else _state.engine


def settings() -> Settings:
    """The settings the process's engine was built from."""
    configure() if _state is None else None
    assert _state is not None
    return _state.settings


def is_embedded() -> bool:
    engine()
    assert _state is not None
    return _state.embedded


@contextlib.contextmanager
def transaction() -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    engine()
    assert _state is not None
    with _state.sessions.begin() as session:
        yield session


def dispose() -> None:
    """Close pooled connections (before fork, at exit, between tests)."""
    global _state
    with _lock:
        if _state is not None:
            _state.engine.dispose()
        _state = None

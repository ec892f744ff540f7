"""What every command needs: settings with a readable error, the database, output helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from hirehound.errors import HirehoundError


def settings() -> Any:
    """Settings from the environment; a bad value names its variable in one line."""
    from pydantic import ValidationError

    from hirehound.errors import ConfigurationError
    from hirehound.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "HIREHOUND_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigurationError(f"{name}: {first['msg']}") from None


def database() -> Any:
    """The configured database with its schema at head."""
    from hirehound.storage import db
    from hirehound.storage.migrate import ensure_schema

    db.configure(settings())
    ensure_schema()
    return db


def export_to(path: str, write: Callable[[Any, Any], int]) -> int:
    """Run an export function in one transaction, into a file or stdout ("-")."""
    db = database()
    out = open(path, "w", encoding="utf-8") if path != "-" else sys.stdout  # noqa: SIM115
    try:
        with db.transaction() as session:
            return write(session, out)
    finally:
        if out is not sys.stdout:
            out.close()


def duration(seconds: float) -> str:
    """30m, 1h, 1d: how people write a cadence (whole units only)."""
    s = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def optional(module: str, attr: str) -> Callable[..., Any]:
    """A function from a module that may be absent, as a user error instead of a traceback."""
    import importlib

    try:
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
    except (ImportError, AttributeError) as exc:
        raise HirehoundError(f"{module}.{attr} is not available: {exc}") from None

"""Give the heap a chunk freed back to the operating system.

glibc keeps freed memory in its arenas (one per thread that allocated), so a process that
works chunk by chunk from several threads settles well above what it uses. Measured here on
4,429 real postings twice over: the ingesting process plateaued at ~400 MB RSS, ~290 MB
when trimmed after each chunk, at 2-17 ms per trim (a chunk takes seconds).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Any


def _load_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return libc.malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS): nothing to do
        return None


_trim = _load_trim()


def release_free_memory() -> None:
    """Return freed heap pages to the OS (glibc's malloc_trim); a no-op elsewhere."""
    if _trim is not None:
        _trim(0)


def then_release(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, then release what it freed: for work sent to pool processes."""
    try:
        return fn(*args)
    finally:
        release_free_memory()

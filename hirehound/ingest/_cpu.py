"""CPU-heavy per-posting work on a small process pool, so one chunk uses every core.

A chunk's steps alternate between Python work (cleaning HTML, tokenizing, matching skills,
scoring) and waiting on PostgreSQL. Threads overlap the waiting, but the Python work holds
the GIL: measured here, a single process spent 5.3 ms of its own CPU per posting against
3.2 ms in PostgreSQL, so one core was the ceiling. The pure parts run here instead, split
across `workers` processes; the step keeps the database work.

Functions sent to the pool are module-level and take and return plain data (strings,
tuples, numpy arrays), so they pickle cheaply; each worker loads its models once.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import numpy as np

from hirehound.ingest._memory import then_release

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Below this many postings a round trip to the pool costs more than it saves.
MIN_POOLED_ITEMS = 32

_lock = threading.Lock()
_pool: Executor | None = None
_workers = 0


def configure_pool(workers: int | None) -> int:
    """Set how many worker processes CPU work may use (0 or 1: in this process)."""
    global _workers, _pool
    wanted = (os.cpu_count() or 1) if workers is None else max(0, workers)
    with _lock:
        if wanted != _workers and _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        _workers = wanted
    return wanted


def _executor() -> Executor | None:
    global _pool
    if _workers <= 1:
        return None
    with _lock:
        if _pool is None:
            # forkserver: workers start from a clean interpreter, not a fork of a process
            # that runs Prefect's threads and holds open database connections.
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["hirehound.ingest._cpu"])
            _pool = ProcessPoolExecutor(max_workers=_workers, mp_context=ctx)
            atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
        return _pool


def _run_in_parts(fn: Callable[..., Any], items: Sequence[T], *args: Any) -> list[Any] | None:
    """`fn(part, *args)` per worker-sized part on the pool, or None when not worth a pool."""
    pool = _executor() if len(items) >= MIN_POOLED_ITEMS else None
    if pool is None:
        return None
    size = -(-len(items) // min(_workers, len(items)))
    try:
        futures = [pool.submit(then_release, fn, list(items[i : i + size]), *args)
                   for i in range(0, len(items), size)]
        return [f.result() for f in futures]
    except BrokenProcessPool:
        # A worker died (killed, out of memory): the pool refuses all work from now on.
        # Drop it so the task's retry, and every later chunk, gets a new one.
        _discard(pool)
        raise


def _discard(pool: Executor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def cpu_map(fn: Callable[..., list[R]], items: Sequence[T], *args: Any) -> list[R]:
    """`fn(part, *args)` over `items` split in one part per worker; results in order."""
    parts = _run_in_parts(fn, items, *args)
    if parts is None:
        return fn(list(items), *args)
    return [r for part in parts for r in part]


def cpu_map_array(fn: Callable[..., np.ndarray], items: Sequence[T], *args: Any) -> np.ndarray:
    """Like `cpu_map` for functions returning one array row per item."""
    parts = _run_in_parts(fn, items, *args)
    return fn(list(items), *args) if parts is None else np.concatenate(parts)


# -- work sent to the pool ------------------------------------------------------------------

CleanOutcome = tuple[str, str, str, bool] | tuple[None, str, str, bool]


def clean_part(
    records: list[tuple[str | None, str | None, str | None]], max_chars: int
) -> list[CleanOutcome]:
    """(title, html, text) -> (title, html, text, truncated), or (None, error, detail, False)."""
    from hirehound import text as textproc

    out: list[CleanOutcome] = []
    for title, html, plain in records:
        try:
            t = textproc.normalize_title(title)
            c = textproc.clean_description(html, plain, max_chars=max_chars)
            out.append((t, c.html, c.text, c.truncated))
        except Exception as exc:  # per posting: becomes a dead letter in the step
            out.append((None, type(exc).__name__, str(exc) or repr(exc), False))
    return out


def skills_part(items: list[tuple[str, str | None]]) -> list[list[tuple[str, str, str]]]:
    """(text, title) -> [(skill id, name, category)] in order of first mention."""
    from hirehound.skills import SkillExtractor

    extractor = SkillExtractor.load()
    return [
        [(s.id, s.name, s.category) for s in extractor.extract(text, title=title)]
        for text, title in items
    ]


def embed_part(texts: list[str], settings: Any) -> np.ndarray:
    """Unit-norm vectors of `texts` with the configured embedder."""
    from hirehound.embeddings import get_embedder

    return get_embedder(settings).embed(texts)


def spam_part(items: list[tuple[Any, np.ndarray | None]], known: np.ndarray | None) -> list[Any]:
    """(SpamInput, its vector or None) -> SpamResult, with SpamScorer.score_many."""
    from hirehound.scoring import SpamScorer

    vectors = [v for _, v in items if v is not None]
    embeddings = np.stack(vectors) if vectors and len(vectors) == len(items) else None
    return SpamScorer.load().score_many(
        [i for i, _ in items], embeddings=embeddings, known_spam=known
    )

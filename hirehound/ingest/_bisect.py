"""Isolate the rows that fail a chunk step: run halves until each failure is one row.

A step runs a chunk in one transaction, so one row the database refuses (or that trips an
unexpected exception) fails all of them. When the failure can be a row's doing (bad data,
never a lost connection or a full disk) the chunk is split in halves, each run in its own
transaction, recursively: k bad rows among n cost about 2k*log2(n) extra runs, and each bad
row comes out alone, to be dead-lettered, while every other row goes through.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from hirehound.errors import HirehoundError
from hirehound.limits import letter_payload, scrub_text
from hirehound.records import DeadLetter, SourcePosting

T = TypeVar("T")
R = TypeVar("R")

# SQLSTATE classes a single row can cause: data exceptions (22: bad encoding, invalid JSON,
# out of range), integrity violations (23), cardinality (21: the same key twice in one
# INSERT ... ON CONFLICT), program limits (54: index row size, tsvector too long).
_ROW_SQLSTATE_CLASSES = frozenset({"21", "22", "23", "54"})
# Python errors a row's data can raise in a step's own code.
_ROW_ERRORS = (ArithmeticError, AssertionError, AttributeError, LookupError, RecursionError,
               TypeError, ValueError)


def isolatable(exc: BaseException) -> bool:
    """Whether one row may have caused the failure (worth splitting the chunk for)."""
    if isinstance(exc, HirehoundError):
        return not exc.retryable
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return False
        state = getattr(exc.orig, "sqlstate", None) or ""
        return state[:2] in _ROW_SQLSTATE_CLASSES
    return isinstance(exc, _ROW_ERRORS)


def isolate(
    run: Callable[[list[T]], R], items: Sequence[T], failure: BaseException
) -> tuple[list[R], list[tuple[T, BaseException]]]:
    """Results of the parts of `items` that went through, and each row that failed alone
    with its exception. `failure` is what running all of `items` raised; a failure that is
    not a row's (`isolatable` false) propagates."""
    if len(items) <= 1:
        return [], [(item, failure) for item in items]
    mid = len(items) // 2
    results: list[R] = []
    failed: list[tuple[T, BaseException]] = []
    for half in (list(items[:mid]), list(items[mid:])):
        try:
            results.append(run(half))
        except Exception as exc:
            if not isolatable(exc):
                raise
            r, f = isolate(run, half, exc)
            results += r
            failed += f
    return results, failed


def merge(results: Sequence[R]) -> R:
    """One result from the results of parts: lists (and list fields) concatenated."""
    first = results[0]
    if isinstance(first, list):
        return [x for r in results for x in r]  # type: ignore[attr-defined, return-value]
    if dataclasses.is_dataclass(first) and not isinstance(first, type):
        joined = {
            f.name: [x for r in results for x in getattr(r, f.name)]
            for f in dataclasses.fields(first)
            if isinstance(getattr(first, f.name), list)
        }
        return dataclasses.replace(first, **joined)  # type: ignore[return-value]
    return first


def row_letter(step: str, item: Any, exc: BaseException) -> DeadLetter:
    """The dead letter of one row a step could not take (a posting id, a decision or a raw
    record)."""
    detail = scrub_text(f"isolated from its chunk: {exc}"[:4000])
    error = type(exc).__name__
    if isinstance(item, SourcePosting):
        return DeadLetter(step, error, detail, None, scrub_text(item.source[:200]),
                          scrub_text(item.source_id[:200]), letter_payload(item.payload))
    posting_id = item if isinstance(item, int) else getattr(item, "posting_id", None)
    return DeadLetter(step, error, detail, posting_id)

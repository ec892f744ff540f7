"""Small helpers for feeding postings through the steps in chunks."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hirehound.limits import letter_payload, scrub_text
from hirehound.records import BadRecord, DeadLetter

T = TypeVar("T")


@dataclass
class ChunkOutcome:
    """What happened to one chunk: how many took each branch and how many were published."""

    size: int
    branches: Counter[str] = field(default_factory=Counter)
    published: int = 0

    def as_counts(self) -> dict[str, Any]:
        return {
            "processed": self.size,
            "published": self.published,
            **{f"dedup_{k}": v for k, v in self.branches.items()},
        }


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, without materializing the input."""
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


def bad_record_letter(bad: BadRecord) -> DeadLetter:
    """The dead letter of a record a source could not map."""
    return DeadLetter("parse", bad.error, scrub_text(bad.detail), None, scrub_text(bad.source),
                      scrub_text(bad.source_id[:200]) if bad.source_id else None,
                      letter_payload(bad.payload))

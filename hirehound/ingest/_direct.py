"""The ingestion steps run in one process without Prefect, in the flow's order.

Used by the throughput benchmark's "direct" mode and for debugging a chunk in a REPL; the
flow in `flows/ingest.py` runs the same steps as tasks.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hirehound.records import BadRecord, DeadLetter, SourcePosting
from hirehound.settings import Settings
from hirehound.storage import db, dead_letters


@dataclass
class ChunkOutcome:
    """What happened to one chunk: ids per branch and dead letters per step."""

    ids: list[int]
    branches: Counter[str] = field(default_factory=Counter)
    dead: Counter[str] = field(default_factory=Counter)
    published: int = 0


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


def bad_record_letter(bad: BadRecord) -> DeadLetter:
    return DeadLetter("parse", bad.error, bad.detail, None, bad.source, bad.source_id, bad.payload)


def process_chunk(ids: Sequence[int], settings: Settings) -> ChunkOutcome:
    """Steps 2-13 for one chunk, each step in its own transaction (as the tasks do)."""
    from hirehound import ingest

    out = ChunkOutcome(list(ids))

    def run(step: Any, *args: Any, **kw: Any) -> Any:
        with db.transaction() as session:
            result = step(session, *args, **kw)
            dead = getattr(result, "dead", [])
            dead_letters.record(session, dead)
            for d in dead:
                out.dead[d.step] += 1
            return result

    ok = run(ingest.clean, ids, settings).ok
    ok = run(ingest.normalize, ok).ok
    ok = run(ingest.match_organizations, ok).ok
    routing = run(ingest.check_duplicates, ok)
    out.branches.update({k: len(getattr(routing, k)) for k in ("exact", "possible", "unique")})
    rest = routing.ids("possible", "unique")
    if rest:
        rest = run(ingest.extract_skills, rest).ok
        rest = run(ingest.embed, rest, settings).ok
        keep = set(rest)
        possible = [d for d in routing.possible if d.posting_id in keep]
        decided = run(ingest.deep_check, possible) + [
            d for d in routing.unique if d.posting_id in keep
        ]
        run(ingest.assign_clusters, decided)
    exact = routing.exact
    if exact:
        run(ingest.inherit_from_duplicates, exact)
        run(ingest.assign_clusters, exact)
    every = rest + [d.posting_id for d in exact]
    run(ingest.index, every)
    every = run(ingest.score_quality, every).ok
    every = run(ingest.score_spam, every, inherit=[d.posting_id for d in exact]).ok
    out.published = len(run(ingest.publish, every).ok)
    return out


def store_batch(postings: Sequence[SourcePosting | BadRecord]) -> tuple[list[int], int, int]:
    """Store one batch raw; return (ids to process, unchanged count, dead-letter count)."""
    from hirehound.ingest import store_raw

    good = [p for p in postings if isinstance(p, SourcePosting)]
    bad = [bad_record_letter(p) for p in postings if isinstance(p, BadRecord)]
    with db.transaction() as session:
        result = store_raw(session, good)
        dead_letters.record(session, bad + result.dead)
    return result.to_process, len(result.unchanged), len(bad) + len(result.dead)


def run_direct(
    targets: Sequence[str],
    settings: Settings,
    *,
    kind: str | None = None,
    chunk_size: int | None = None,
) -> dict[str, int]:
    """Ingest targets end to end in this process; return counts."""
    from hirehound.sources import read_postings

    size = chunk_size or settings.chunk_size
    counts: Counter[str] = Counter()
    for target in targets:
        stream = read_postings(target, kind=kind, settings=settings)  # type: ignore[arg-type]
        for batch in batches(stream, size):
            ids, unchanged, bad = store_batch(batch)
            counts["read"] += len(batch)
            counts["unchanged"] += unchanged
            counts["dead_letters"] += bad
            if ids:
                outcome = process_chunk(ids, settings)
                counts["processed"] += len(ids)
                counts["published"] += outcome.published
                counts.update({f"dedup_{k}": v for k, v in outcome.branches.items()})
                counts["dead_letters"] += sum(outcome.dead.values())
    return dict(counts)

"""Job ingestion flows: bulk over boards, URLs and files, and one posting at a time.

    fetch + store raw ─► per chunk: clean ─► normalize ─► organizations ─► dedup check
        exact     ─► inherit skills/vectors, join the cluster ───────────────┐
        possible  ─► skills ─► embed ─► deep check (semantic + attributes) ─┤
        unique    ─► skills ─► embed ────────────────────────────────────────┤
                       cluster ◄─────────────────────────────────────────────┘
                       ─► index ─► quality ─► spam ─► publish
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.utilities.annotations import quote

from flows._runtime import configure
from hirehound.errors import HirehoundError, SourceError
from hirehound.ingest import ChunkOutcome, release_free_memory
from hirehound.sources import SourceKind, parse_payload, read_groups
from tasks import ingest as t

Call = Callable[..., Any]

PROGRESS_EVERY_S = 5.0


def _prefect(task: Any, *args: Any, **kwargs: Any) -> Any:
    # Our arguments are plain data, never futures: `quote` spares Prefect walking every item
    # of a 512-id list or decision list to look for some (measured: ~8 s of a 20k-posting run).
    # A Chunk is passed as it is: Prefect looks it up whole and links the upstream task run.
    return task(*map(_quote_collection, args),
                **{k: _quote_collection(v) for k, v in kwargs.items()})


def _quote_collection(value: Any) -> Any:
    return quote(value) if isinstance(value, (list, tuple, set, dict)) else value


def _direct(task: Any, *args: Any, **kwargs: Any) -> Any:
    # The task's own function, without Prefect: what the "direct" benchmark measures.
    return task.fn(*args, **kwargs)


def process_chunk(ids: Sequence[int], run: Call = _prefect) -> ChunkOutcome:
    """Steps 2-13 for one chunk, branching on the dedup check."""
    out = ChunkOutcome(len(ids))
    routing = run(t.prepare_and_check, list(ids))
    out.branches.update({k: len(getattr(routing, k)) for k in ("exact", "possible", "unique")})

    # Possible and unique postings get the full treatment; exact copies skip it.
    rest = routing.ids("possible", "unique")
    if rest:
        rest = run(t.extract_skills_and_embed, rest)
        keep = set(rest)
        possible = [d for d in routing.possible if d.posting_id in keep]
        decided = run(t.deep_check, possible) if possible else []
        run(t.assign_clusters, decided + [d for d in routing.unique if d.posting_id in keep])
    exact_ids = routing.ids("exact")
    if exact_ids:
        # After the rest: an exact copy of a posting in this very chunk needs it clustered.
        run(t.attach_duplicates, routing.exact)

    every = [*rest, *exact_ids]
    if every:
        out.published = len(run(t.index_and_publish, every, exact_ids))
    return out


class _Tracked:
    """Remembers which step a chunk was in, so a failed chunk is dead-lettered under it."""

    def __init__(self, run: Call) -> None:
        self.run = run
        self.step = "start"

    def __call__(self, task: Any, *args: Any, **kwargs: Any) -> Any:
        self.step = getattr(task, "name", str(task))
        return self.run(task, *args, **kwargs)


def _dead_letter_chunk(ids: list[int], step: str, exc: BaseException) -> None:
    from tasks._context import run_names
    from tasks._retry import write_dead_letters

    names = run_names()  # all None outside a flow run (direct mode)
    write_dead_letters(
        step=step, posting_ids=ids, error_type=type(exc).__name__, detail=str(exc)[:4000],
        flow_name=names.get("flow_name"), flow_run_id=names.get("flow_run_id"),
        task_name=step, inputs={"posting_ids": ids}, attempts=1 + t.CHUNK_RETRIES,
    )


def _dead_letter_target(target: str, step: str, exc: BaseException) -> None:
    """A board, URL or file that could not be read at all: one letter naming it."""
    from hirehound.records import DeadLetter
    from hirehound.storage import db, dead_letters
    from tasks._context import run_names

    letter = DeadLetter(step, type(exc).__name__, str(exc)[:4000], target=target)
    with db.transaction() as session:
        dead_letters.record(session, [letter], **run_names())


def _process_or_dead_letter(chunk: list[int], run: Call) -> Counter[str]:
    tracked = _Tracked(run)
    try:
        counts = Counter(process_chunk(chunk, tracked).as_counts())
    except Exception as exc:  # the chunk failed for good: keep its ids, go on
        _dead_letter_chunk(chunk, tracked.step, exc)
        counts = Counter(chunks_failed=1, dead_letters_chunk=len(chunk))
    counts["chunks"] += 1
    release_free_memory()  # ~100 MB less held between chunks (hirehound/ingest/_memory.py)
    return counts


# One fetch: a label (the target, for its dead letter) and a call that stores postings raw and
# returns {"ids": [...to process], "counts": {...}}.
Fetch = tuple[str, Callable[[], dict[str, Any]]]


def run_fetches(
    fetches: Iterable[Fetch],
    chunk_size: int,
    run: Call,
    parallel_chunks: int = 2,
    on_chunk: Callable[[Counter[str]], None] = lambda _c: None,
    fetch_step: str = "fetch",
) -> Counter[str]:
    """Run each fetch, then the chunk stages over what it stored, `parallel_chunks` at once.

    Two chunks in flight keep both cores busy: while one waits on PostgreSQL (about 40% of
    a chunk's time), the other computes. Each thread runs in a copy of the flow-run
    context so its task runs belong to this flow run. A fetch that fails (after the HTTP
    layer's own retries) is dead-lettered with its target and the rest go on.
    """
    totals: Counter[str] = Counter()
    width = max(1, parallel_chunks)
    with ThreadPoolExecutor(max_workers=width) as pool:
        in_flight: deque[Future[Counter[str]]] = deque()

        def submit(chunk: list[int]) -> None:
            ctx = contextvars.copy_context()
            in_flight.append(pool.submit(ctx.run, _process_or_dead_letter, chunk, run))
            # Bounded: `width` chunks running and one queued, never all results. The queued
            # one is ready when a thread frees up, so no thread waits while the next group
            # of files is read (measured: threads were idle 12% of a 20k run without it).
            while len(in_flight) > width + 1:
                totals.update(in_flight.popleft().result())
                on_chunk(totals)

        pending: list[int] = []
        first_error: Exception | None = None
        for label, fetch in fetches:
            totals["targets"] += 1
            try:
                fetched = fetch()
            except Exception as exc:  # this target is lost for now; the others are not
                totals["targets_failed"] += 1
                first_error = first_error or exc
                _dead_letter_target(label, fetch_step, exc)
                logging.getLogger(__name__).warning("%s failed: %s", label, exc)
                continue
            totals.update(fetched["counts"])
            pending.extend(fetched["ids"])
            while len(pending) >= chunk_size:
                submit(pending[:chunk_size])
                del pending[:chunk_size]
        if pending:
            submit(pending)
        while in_flight:
            totals.update(in_flight.popleft().result())
            on_chunk(totals)
    if totals["chunks"] and totals["chunks_failed"] == totals["chunks"]:
        # Nothing went through (database down?): fail the run so the alert fires.
        raise RuntimeError(f"every chunk failed; see dead letters ({dict(totals)})")
    if totals["targets"] and totals["targets_failed"] == totals["targets"]:
        # Nothing could be read: fail the run (the alert fires) with the first reason, as a
        # HirehoundError when it is one, so the CLI prints one line and exits 2.
        n = totals["targets"]
        if isinstance(first_error, HirehoundError):
            if n == 1:
                raise first_error
            raise SourceError(f"every target failed ({n}); first: {first_error}; see "
                              "`hirehound dead-letters`") from first_error
        raise RuntimeError(f"every target failed ({n}); see `hirehound dead-letters`")
    return totals


def _file_fetches(
    targets: Sequence[str], source: SourceKind | None, chunk_size: int, force: bool, run: Call
) -> Iterator[Fetch]:
    """Folders are read a group of files at a time, so reading the next group overlaps with
    processing the chunks already stored."""
    for target in targets:
        try:
            groups = read_groups(target)
        except Exception as exc:  # an unreadable folder: fail this target only
            def fail(exc: Exception = exc) -> dict[str, Any]:
                raise exc
            yield target, fail
            continue
        for group in groups:
            def fetch(group: list[str] = group) -> dict[str, Any]:
                got = run(t.fetch_and_store, group, source, chunk_size, force)
                return {"ids": got["ids"], "counts": {
                    "read": got["read"], "unchanged": got["unchanged"],
                    "dead_letters_parse": got["bad"]}}
            yield (group[0] if len(group) == 1 else target), fetch


def _ingest(
    targets: Sequence[str],
    source: SourceKind | None,
    chunk_size: int,
    force: bool,
    run: Call,
    parallel_chunks: int = 2,
    on_chunk: Callable[[Counter[str]], None] = lambda _c: None,
) -> Counter[str]:
    """Fetch the targets (a group of files at a time) and run chunks, `parallel_chunks` at once."""
    if not targets:
        raise ValueError("no targets: give at least one board (ashby:<board>), URL or path")
    fetches = _file_fetches(targets, source, chunk_size, force, run)
    return run_fetches(fetches, chunk_size, run, parallel_chunks, on_chunk)


@flow
def ingest_postings(
    targets: list[str],
    source: SourceKind | None = None,
    chunk_size: int = 512,
    force: bool = False,
    parallel_chunks: int = 2,
    task_run_logs: bool = False,
    settings_block: str | None = None,
) -> dict[str, int]:
    """Ingest job boards, URLs or files (`ashby:<board>`, a URL, a path) in chunks.

    Args:
        targets: board shorthands (`ashby:cohere`, `greenhouse:<token>`, `lever:<company>`),
            URLs, or paths to files or folders.
        source: the source kind; detected per target when empty.
        chunk_size: postings per task run (hundreds: each task run costs 10-30 ms of
            orchestration; 512 measured 4% faster than 256 at 20k postings).
        force: reprocess postings whose payload did not change since the last run.
        parallel_chunks: chunks processed at the same time (2 suits a 2-core worker).
        task_run_logs: keep the INFO lines of every task run ("Created task run",
            "Finished in state Completed()"); off, task runs log warnings and errors only.
        settings_block: name of a `hirehound-settings` block to read settings from.
    """
    logger = get_run_logger()
    configure(settings_block)
    started = time.perf_counter()
    progress: Any = create_progress_artifact(0.0, description="postings processed")

    last_update = started

    def on_chunk(totals: Counter[str]) -> None:
        # Every few seconds, not every chunk: each update is a call to the API.
        nonlocal last_update
        now = time.perf_counter()
        if now - last_update < PROGRESS_EVERY_S:
            return
        last_update = now
        read = max(totals["read"], 1)
        update_progress_artifact(progress, min(100.0, 100.0 * totals["processed"] / read))

    since = _database_now()
    with _task_run_log_level(logging.INFO if task_run_logs else logging.WARNING):
        totals = _ingest(targets, source, chunk_size, force, _prefect, parallel_chunks, on_chunk)
    update_progress_artifact(progress, 100.0)
    totals["new_organizations"] = _announce_new_organizations(since)
    elapsed = time.perf_counter() - started
    _summary_artifact(totals, elapsed)
    logger.info("ingested %s in %.1fs", dict(totals), elapsed)
    return dict(totals)


@flow
def ingest_posting(
    payload: dict[str, Any],
    source: SourceKind,
    origin: str = "",
    settings_block: str | None = None,
) -> dict[str, int]:
    """Ingest one posting as it arrives (a webhook, an event): the same tasks, a chunk of one.

    Args:
        payload: the posting as the source sends it (an Ashby job, a Greenhouse job, ...).
        source: the source kind of the payload.
        origin: where it came from (board name or URL; Ashby payloads name no company).
    """
    from hirehound import ingest
    from hirehound.records import SourcePosting
    from hirehound.storage import db, dead_letters

    configure(settings_block)
    records = list(parse_payload(source, payload, origin=origin))
    good = [r for r in records if isinstance(r, SourcePosting)]
    bad = [ingest.bad_record_letter(r) for r in records if not isinstance(r, SourcePosting)]
    with db.transaction() as session:
        stored = ingest.store_raw(session, good, force=True)
        dead_letters.record(session, bad + stored.dead, flow_name="ingest-posting")
    totals: Counter[str] = Counter(read=len(records), dead_letters_parse=len(bad))
    if stored.to_process:
        totals.update(process_chunk(stored.to_process).as_counts())
    _summary_artifact(totals, None)
    return dict(totals)


@contextlib.contextmanager
def _task_run_log_level(level: int) -> Iterator[None]:
    """Task-run INFO logs off for bulk runs: two lines per task run, each shipped to the API,
    cost this flow ~25% of its throughput (measured: 173 -> 201 postings/s at 20k). The task
    runs' states are in the UI either way; warnings and errors (retries, failures) still log.
    """
    logger = logging.getLogger("prefect.task_runs")
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)


def _database_now() -> Any:
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as session:
        return session.execute(text("select now()")).scalar_one()


def _announce_new_organizations(since: Any) -> int:
    """Emit `hirehound.organizations.created` for employers this run created.

    The enrich-new-organizations deployment's trigger (prefect.yaml) listens for it, so
    enrichment follows ingestion without this flow waiting for it.
    """
    from prefect.events import emit_event
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as session:
        ids = list(session.scalars(text(
            "select id from organizations where created_at >= :since and enriched_at is null "
            "order by id limit 1000"), {"since": since}))
    if ids:
        emit_event(
            event="hirehound.organizations.created",
            resource={"prefect.resource.id": "hirehound.organizations"},
            payload={"organization_ids": ids, "count": len(ids)},
        )
    return len(ids)


def _summary_artifact(totals: Counter[str], elapsed: float | None) -> None:
    rows = [{"metric": k, "value": v} for k, v in sorted(totals.items())]
    if elapsed:
        rows.append({"metric": "seconds", "value": round(elapsed, 2)})
        rows.append({"metric": "postings_per_s",
                     "value": round(totals["processed"] / elapsed, 1) if elapsed else 0})
    create_table_artifact(rows, key="ingest-summary", description="What this ingestion run did")


def run_direct(
    targets: Sequence[str], source: SourceKind | None = None, chunk_size: int = 512,
    force: bool = False, parallel_chunks: int = 2,
) -> dict[str, int]:
    """The same steps without Prefect (benchmarks, debugging); settings from the environment."""
    configure()
    return dict(_ingest(targets, source, chunk_size, force, _direct, parallel_chunks))


if __name__ == "__main__":
    import sys

    print(ingest_postings(sys.argv[1:] or ["hirehound/demo_data"]))

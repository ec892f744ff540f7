"""Job ingestion flows: bulk over boards, URLs and files, and one posting at a time.

    fetch + store raw ─► per chunk: clean ─► normalize ─► organizations ─► dedup check
        exact     ─► (wait for its original) inherit skills/vectors, join ───┐
        possible  ─► skills ─► embed ─► deep check (semantic + attributes) ─┤
        unique    ─► skills ─► embed ────────────────────────────────────────┤
                       cluster ◄─────────────────────────────────────────────┘
                       ─► index ─► quality ─► spam ─► publish

Past `pool_threshold` stored postings, a bulk import hands groups of chunks to child runs of
`process_postings` (deployment `process-postings`, `processing` queue) that every worker of
the pool takes a share of, waits for them and adds up their counts (`_Offload`).
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

from flows import _fanout
from flows._runtime import configure
from flows.dead_letters import announce_dead_letters
from hirehound import concerns
from hirehound import ingest as core_ingest
from hirehound.errors import HirehoundError, SourceError
from hirehound.ingest import ChunkOutcome, release_free_memory
from hirehound.records import DeadLetter
from hirehound.sources import SourceKind, parse_payload, read_groups
from tasks import ingest as t
from tasks._context import concern_slot, records_itself
from tasks._recorded import recorded
from tasks._retry import TIMEOUTS

Call = Callable[..., Any]

PROGRESS_EVERY_S = 5.0
# Bulk imports past POOL_THRESHOLD postings hand groups of chunks to child runs of this
# deployment (prefect.yaml), when it exists on the Prefect server.
PROCESS_DEPLOYMENT = "process-postings/process-postings"
POOL_THRESHOLD = 5000
# A child run costs 5-15 s (worker pickup, a new process, imports, warm caches; measured in
# benchmarks/README.md): 16 chunks are ~35 s of work on a 2-core worker.
CHUNKS_PER_RUN = 16
CHILD_SUMMARY_KEY = "process-summary"


def _stage_call(slot: Callable[[Any], str | None]) -> Call:
    """Run a chunk stage's task holding the concern slot `slot(task)` names."""

    def call(task: Any, *args: Any, **kwargs: Any) -> Any:
        # Our arguments are plain data, never futures: `quote` spares Prefect walking every
        # item of a 512-id list or decision list to look for some (measured: ~8 s of a
        # 20k-posting run). A Chunk is passed as it is: Prefect looks it up whole and links
        # the upstream task run.
        # Each stage's run is recorded for the exporter (tasks/_recorded.py), on any worker;
        # a task that holds its concern itself (a crawl, a claim) records itself.
        quoted = [_quote_collection(a) for a in args]
        named = {k: _quote_collection(v) for k, v in kwargs.items()}
        if records_itself(task):
            return task(*quoted, **named)
        limit = slot(task)
        with recorded(task, args, limit) as stage, concern_slot(limit):
            stage.start()
            return stage.done(task(*quoted, **named))

    return call


# Bulk work holds each stage's own concern (processing, ml, deduplication, indexing); one
# posting that must go live now holds `critical` instead, so it never queues behind a bulk
# import's stages.
_prefect = _stage_call(lambda task: t.STAGE_LIMITS.get(getattr(task, "name", "")))
_critical = _stage_call(lambda _task: concerns.CRITICAL)


def _quote_collection(value: Any) -> Any:
    return quote(value) if isinstance(value, (list, tuple, set, dict)) else value


def _direct(task: Any, *args: Any, **kwargs: Any) -> Any:
    # The task's own function, without Prefect: what the "direct" benchmark measures.
    return task.fn(*args, **kwargs)


def process_chunk(ids: Sequence[int], run: Call = _prefect,
                  wait_for_originals_s: float = TIMEOUTS.original_wait_s) -> ChunkOutcome:
    """Steps 2-13 for one chunk, branching on the dedup check.

    An exact copy whose original is in another chunk in flight waits (up to
    `wait_for_originals_s`) until that original is published, then inherits from it: what
    it inherits does not depend on which chunk got there first. One whose original does not
    come through in time (its run crashed, or no wait: a posting that must go live now) gets
    its own skills and vectors instead of none.
    """
    out = ChunkOutcome(len(ids))
    routing = run(t.prepare_and_check, list(ids))
    out.branches.update({k: len(getattr(routing, k)) for k in ("exact", "possible", "unique")})

    # Possible and unique postings get the full treatment; exact copies skip it.
    rest = routing.ids("possible", "unique")
    if rest:
        rest = run(t.extract_skills_and_embed, rest)
    exact_ids = routing.ids("exact")
    own: list[int] = []
    if exact_ids:
        own = _await_originals(routing.exact, ids, wait_for_originals_s)
        if own:
            own = list(run(t.extract_skills_and_embed, own))
    keep = set(rest)
    possible = [d for d in routing.possible if d.posting_id in keep]
    unique = [d for d in routing.unique if d.posting_id in keep]
    if possible or unique or routing.exact:
        run(t.deduplicate_and_cluster, possible, unique, routing.exact, own)

    # Postings a crash left past clustering only need the last stage (a rescued run).
    every = [*rest, *exact_ids, *routing.resumed]
    if routing.resumed:
        out.branches["resumed"] += len(routing.resumed)
    if every:
        out.published = len(run(t.index_and_publish, every, exact_ids + routing.resumed_exact))
    return out


ORIGINAL_POLL_S = (0.1, 1.0)  # first and longest pause between two looks


def _await_originals(exact: Sequence[Any], chunk: Sequence[int], wait_s: float) -> list[int]:
    """Wait until no copy in `exact` has its original in flight in another chunk; the copies
    whose original is still in flight after `wait_s` seconds. Polls the database from the
    flow's thread, holding no concern slot: the chunk the original is in goes on meanwhile.
    A lost database is waited out like an original (the next stage retries it)."""
    from hirehound.storage import db

    deadline = time.monotonic() + wait_s
    pause, longest = ORIGINAL_POLL_S
    waiting: list[int] = []
    logged = False
    while True:
        try:
            with db.transaction() as session:
                waiting = core_ingest.originals_in_flight(session, exact, chunk=chunk)
        except Exception as exc:
            if not db.is_outage(exc):
                raise
            waiting = [d.posting_id for d in exact]
        left = deadline - time.monotonic()
        if not waiting or left <= 0:
            break
        if not logged:
            logging.getLogger(__name__).info(
                "%d exact copies wait for their originals in another chunk", len(waiting))
            logged = True
        time.sleep(min(pause, left))
        pause = min(pause * 2, longest)
    if waiting and wait_s > 0:
        logging.getLogger(__name__).warning(
            "%d exact copies: their originals were not published within %.0f s; they get "
            "their own skills and vectors", len(waiting), wait_s)
    return waiting


class _Tracked:
    """Remembers which step a chunk was in, so a failed chunk is dead-lettered under it."""

    def __init__(self, run: Call) -> None:
        self.run = run
        self.step = "start"

    def __call__(self, task: Any, *args: Any, **kwargs: Any) -> Any:
        self.step = getattr(task, "name", str(task))
        return self.run(task, *args, **kwargs)


def _dead_letter_chunk(ids: list[int], step: str, exc: BaseException) -> None:
    """A chunk that failed after its retries: one letter per posting, under its stage."""
    _write_letters([DeadLetter(step, type(exc).__name__, str(exc), posting_id=i,
                               inputs={"chunk": len(ids)}) for i in ids])


def _dead_letter_target(target: str, step: str, exc: BaseException) -> None:
    """A board, URL or file that could not be read at all: one letter naming it."""
    error = getattr(exc, "error_type", None) or type(exc).__name__
    _write_letters([DeadLetter(step, error, str(exc), target=target)])


def _write_letters(letters: list[DeadLetter]) -> None:
    from hirehound.storage import db, dead_letters
    from tasks._context import run_names

    with db.transaction() as session:  # run names are all None outside a flow run (direct)
        dead_letters.record(session, letters, **run_names())


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
    offload: _Offload | None = None,
) -> Counter[str]:
    """Run each fetch, then the chunk stages over what it stored, `parallel_chunks` at once.

    Two chunks in flight keep both cores busy: while one waits on PostgreSQL (about 40% of
    a chunk's time), the other computes. Each thread runs in a copy of the flow-run
    context so its task runs belong to this flow run. A fetch that fails (after the HTTP
    layer's own retries) is dead-lettered with its target and the rest go on.

    With `offload`, once the import has stored more than its threshold, what is stored from
    then on goes to child runs on the pool instead, a group of chunks each (`_Offload`); the
    counts of those children join the totals when they are done.
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
            if offload is not None:
                offload.take(pending, len(fetched["ids"]))
            while len(pending) >= chunk_size and (offload is None or not offload.active):
                submit(pending[:chunk_size])
                del pending[:chunk_size]
        if offload is not None:
            offload.take(pending, final=True)  # leaves at most one chunk, for this run
        if pending:
            submit(pending)
        while in_flight:
            totals.update(in_flight.popleft().result())
            on_chunk(totals)
    if offload is not None:
        totals.update(offload.wait(lambda done: on_chunk(totals + done)))
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


class _Offload:
    """Hands the ids a bulk import stores to child runs of `process-postings` on the pool.

    Until the import has stored more than `threshold` postings to process, `take` leaves them
    to this run (an import under the threshold runs here, as it always did). From then on,
    every `chunks_per_run` chunks of stored ids start one child run at once, while the next
    files are still being read: the pool's workers start on them without waiting for the
    whole import to be read (reading 20k postings takes ~30 s), and a child's own start-up
    overlaps with the reading. At the end, a rest of more than one chunk is one more child;
    a rest of one chunk at most stays here (a child costs more than it would save).

    `wait` polls the children's states, then counts what each did: a completed child's own
    summary artifact (results are not persisted, and a worker's files are not the parent's);
    a child that failed, crashed or was cancelled has its postings that were not published
    and carry no dead letter since the import started dead-lettered under step "process"
    with the run's name and state, so `hirehound dead-letters` lists them.
    """

    def __init__(self, *, threshold: int, chunk_size: int, chunks_per_run: int,
                 parameters: dict[str, Any], since: Any, timeout_s: float) -> None:
        self.threshold = threshold
        self.chunk_size = max(1, chunk_size)
        self.group = self.chunk_size * max(1, chunks_per_run)
        self.parameters = parameters
        self.since = since
        self.timeout_s = timeout_s
        self.stored = 0
        self.active = False
        self.key = ""
        self.children: dict[Any, tuple[str, list[int]]] = {}  # run id -> (name, posting ids)

    def take(self, pending: list[int], stored: int = 0, *, final: bool = False) -> None:
        """Start a child run for each full group of `pending` (removed from it) once past the
        threshold; with `final`, for the rest too when it is more than one chunk."""
        self.stored += stored
        if not self.active and self.stored > self.threshold:
            self.active = True
            self.key = _fanout.parent_key()
            get_run_logger().info("%d postings stored (threshold %d): the rest goes to child "
                                  "runs of %s, %d postings each", self.stored, self.threshold,
                                  PROCESS_DEPLOYMENT, self.group)
        if not self.active:
            return
        while len(pending) >= self.group or (final and len(pending) > self.chunk_size):
            ids = pending[:self.group]
            del pending[:self.group]
            n = len(self.children) + 1
            child = _fanout.start_child(
                PROCESS_DEPLOYMENT,
                {**self.parameters, "posting_ids": ids},
                # A retried parent stores the same postings again and must not start the
                # same group twice (ids that were published since start other groups).
                key=f"{self.key}:{n}:{ids[0]}:{len(ids)}",
                name=f"process {n}: {len(ids)} postings from id {ids[0]}",
            )
            self.children[child.id] = (child.name, ids)

    def wait(self, on_progress: Callable[[Counter[str]], None]) -> Counter[str]:
        """Wait for the children; their counts, and `children`, `children_failed`, ...."""
        if not self.children:
            return Counter()

        def progress(seen: dict[Any, Any]) -> None:
            done = sum(len(ids) for rid, (_, ids) in self.children.items()
                       if _fanout.state_of(seen.get(rid)) in _fanout.FINAL)
            on_progress(Counter(processed=done))

        seen = _fanout.wait_for(list(self.children), self.timeout_s, on_poll=progress)
        summaries = _child_summaries(
            [rid for rid in self.children if _fanout.state_of(seen.get(rid)) == "COMPLETED"])
        totals: Counter[str] = Counter(children=len(self.children),
                                       postings_to_children=sum(len(ids) for _, ids in
                                                                self.children.values()))
        logger = get_run_logger()
        for rid, (name, ids) in self.children.items():
            state = _fanout.state_of(seen.get(rid))
            if state == "COMPLETED" and rid in summaries:
                totals.update(summaries[rid])
            elif state in _fanout.FINAL:  # failed, crashed, cancelled, or no summary
                run = seen.get(rid)
                message = getattr(run.state, "message", None) if run is not None else None
                got = _settle_child(rid, name, state, message, ids, self.since)
                totals.update(got)
                totals["children_failed" if state != "COMPLETED" else "children_unsummarised"] += 1
                if state != "COMPLETED":
                    logger.warning("child run %s ended %s: %d of its %d postings "
                                   "dead-lettered", name, state, got["dead_letters_process"],
                                   len(ids))
            else:  # still scheduled or running after timeout_s: it may finish yet
                totals["children_unfinished"] += 1
                totals["postings_unfinished"] += len(ids)
                logger.warning("child run %s still %s after %.0f s: not counted", name,
                               state, self.timeout_s)
        return totals


def _child_summaries(run_ids: Sequence[Any]) -> dict[Any, Counter[str]]:
    """{run id: counts} from the `process-summary` artifacts of these runs."""
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    out: dict[Any, Counter[str]] = {}
    with get_client(sync_client=True) as client:
        for start in range(0, len(run_ids), _fanout.READ_BATCH):
            batch = list(run_ids[start:start + _fanout.READ_BATCH])
            for artifact in client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=[CHILD_SUMMARY_KEY]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=batch),
                ),
                limit=len(batch),
            ):
                data = artifact.data
                rows = json.loads(data) if isinstance(data, str) else data
                if not isinstance(rows, list):
                    continue
                out[artifact.flow_run_id] = Counter({
                    r["metric"]: r["value"] for r in rows
                    if isinstance(r, dict) and isinstance(r.get("value"), int)
                })
    return out


def _settle_child(run_id: Any, name: str, state: str, message: str | None, ids: list[int],
                  since: Any) -> Counter[str]:
    """What a child that ended without its summary did, from the database: its postings
    published since the import started; the others that carry no dead letter since then
    are dead-lettered now (step "process"), so none is lost."""
    from sqlalchemy import text

    from hirehound.storage import db, dead_letters

    with db.transaction() as session:
        published = session.execute(text(
            "select count(*) from postings where id = any(:ids) and step = 'publish' "
            "and updated_at >= :since"), {"ids": ids, "since": since}).scalar_one()
        lost = session.execute(text(
            "select r.id, r.source, r.source_id from raw_postings r "
            "where r.id = any(:ids) "
            "and not exists (select 1 from postings p where p.id = r.id and p.step = 'publish' "
            "  and p.updated_at >= :since) "
            "and not exists (select 1 from dead_letters d where d.posting_id = r.id "
            "  and d.created_at >= :since) order by r.id"), {"ids": ids, "since": since}).all()
        detail = (f"child run {name} ({run_id}) ended {state}"
                  + (f": {message}" if message else "")
                  + "; not published by it (ingesting the same file again reprocesses it)")
        error = "ChildRun" + state.title()
        dead_letters.record(
            session, [DeadLetter("process", error, detail, posting_id=r.id, source=r.source,
                                 source_id=r.source_id) for r in lost],
            flow_name="process-postings", flow_run_id=str(run_id),
        )
    return Counter(published=published, dead_letters_process=len(lost))


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
                    "dead_letters_parse": got["bad"],
                    # Files of a group that could not be read (each has its dead letter).
                    **({"files_failed": n} if (n := got.get("targets_failed")) else {})}}
            yield (group[0] if len(group) == 1 else target), fetch


def _ingest(
    targets: Sequence[str],
    source: SourceKind | None,
    chunk_size: int,
    force: bool,
    run: Call,
    parallel_chunks: int = 2,
    on_chunk: Callable[[Counter[str]], None] = lambda _c: None,
    offload: _Offload | None = None,
) -> Counter[str]:
    """Fetch the targets (a group of files at a time) and run chunks, `parallel_chunks` at once
    (past its threshold, `offload` hands them to child runs instead)."""
    if not targets:
        raise ValueError("no targets: give at least one board (ashby:<board>), URL or path")
    fetches = _file_fetches(targets, source, chunk_size, force, run)
    return run_fetches(fetches, chunk_size, run, parallel_chunks, on_chunk, offload=offload)


@flow(timeout_seconds=TIMEOUTS.ingest_flow_s)
def ingest_postings(
    targets: list[str],
    source: SourceKind | None = None,
    chunk_size: int = 512,
    force: bool = False,
    parallel_chunks: int = 2,
    task_run_logs: bool = False,
    settings_block: str | None = None,
    use_pool: bool | None = None,
    pool_threshold: int = POOL_THRESHOLD,
    chunks_per_run: int = CHUNKS_PER_RUN,
    wait_timeout_s: float = 6 * 3600.0,
) -> dict[str, int]:
    """Ingest job boards, URLs or files (`ashby:<board>`, a URL, a path) in chunks.

    A bulk import runs its chunks here until it has stored more than `pool_threshold`
    postings to process; what it stores from then on goes to child runs of the
    `process-postings` deployment, `chunks_per_run` chunks each, which every worker of the
    pool takes a share of. This run waits for them, adds up their counts and dead-letters
    the postings of a child that failed. Without that deployment (the CLI on a temporary
    API) everything runs here.

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
        use_pool: child runs of `process-postings` past `pool_threshold` (empty: when that
            deployment exists), from the first group on (true), or never (false).
        pool_threshold: postings to process that this run handles itself before it hands
            the rest to the pool.
        chunks_per_run: chunks per child run (a child run costs 5-15 s of pickup, start-up
            and orchestration: give each a minute of work or more, never one chunk).
        wait_timeout_s: how long to wait for the child runs; those still running then are
            reported as unfinished, not counted.
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
    offload = _pool(use_pool, pool_threshold, chunk_size, chunks_per_run, wait_timeout_s, since,
                    {"settings_block": settings_block, "chunk_size": chunk_size,
                     "parallel_chunks": parallel_chunks, "task_run_logs": task_run_logs})
    with _task_run_log_level(logging.INFO if task_run_logs else logging.WARNING):
        totals = _ingest(targets, source, chunk_size, force, _prefect, parallel_chunks, on_chunk,
                         offload)
    update_progress_artifact(progress, 100.0)
    runs = [str(r) for r in (flow_run_id(), *getattr(offload, "children", {})) if r]
    totals["new_organizations"] = announce_new_organizations(runs, settings_block)
    announce_dead_letters(runs, totals["read"])
    elapsed = time.perf_counter() - started
    _summary_artifact(totals, elapsed)
    logger.info("ingested %s in %.1fs", dict(totals), elapsed)
    if totals["children"] and totals["children_failed"] == totals["children"]:
        raise RuntimeError(f"every child run failed ({totals['children']}); their postings are "
                           "in `hirehound dead-letters` (step process)")
    return dict(totals)


def _pool(
    use_pool: bool | None, threshold: int, chunk_size: int, chunks_per_run: int,
    timeout_s: float, since: Any, parameters: dict[str, Any],
) -> _Offload | None:
    """The child runs' dispatcher when the pool is to be used and `process-postings` exists."""
    if use_pool is False:
        return None
    if not _fanout.deployed(PROCESS_DEPLOYMENT):
        if use_pool:
            raise ValueError(f"use_pool is true but {PROCESS_DEPLOYMENT} is not deployed on this "
                             "Prefect server (`prefect deploy -n process-postings`)")
        return None
    return _Offload(threshold=0 if use_pool else threshold, chunk_size=chunk_size,
                    chunks_per_run=chunks_per_run, parameters=parameters, since=since,
                    timeout_s=timeout_s)


@flow(name="process-postings", timeout_seconds=TIMEOUTS.process_flow_s)
def process_postings(
    posting_ids: list[int],
    settings_block: str | None = None,
    chunk_size: int = 512,
    parallel_chunks: int = 2,
    task_run_logs: bool = False,
) -> dict[str, int]:
    """Run the chunk stages over postings a bulk import stored raw (its child run).

    Publishes its counts as the `process-summary` table artifact, which the parent adds up.

    Args:
        posting_ids: ids of the stored postings to process (a group of chunks).
        settings_block: name of a `hirehound-settings` block to read settings from.
        chunk_size: postings per task run of the processing stages.
        parallel_chunks: chunks processed at the same time (2 suits a 2-core worker).
        task_run_logs: keep the INFO lines of every task run; off, warnings and errors only.
    """
    configure(settings_block)
    started = time.perf_counter()
    ids = list(posting_ids)
    with _task_run_log_level(logging.INFO if task_run_logs else logging.WARNING):
        totals = run_fetches([("posting ids", lambda: {"ids": ids, "counts": {}})], chunk_size,
                             _prefect, parallel_chunks, fetch_step="process")
    del totals["targets"]
    elapsed = time.perf_counter() - started
    _summary_artifact(totals, elapsed, key=CHILD_SUMMARY_KEY)
    get_run_logger().info("processed %s in %.1fs", dict(totals), elapsed)
    return dict(totals)


@flow(timeout_seconds=TIMEOUTS.posting_flow_s)
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
    from tasks._context import run_names

    with db.transaction() as session:
        stored = ingest.store_raw(session, good, force=True)
        dead_letters.record(session, bad + stored.dead, **run_names())
    totals: Counter[str] = Counter(read=len(records), dead_letters_parse=len(bad))
    if stored.to_process:
        # No wait for an original in another run's chunk: this posting must go live now.
        totals.update(process_chunk(stored.to_process, run=_critical,
                                    wait_for_originals_s=0).as_counts())
    _summary_artifact(totals, None)
    run = flow_run_id()
    announce_dead_letters([run] if run else [], len(records))  # critical queue: any alerts
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


def flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


def announce_new_organizations(run_ids: Sequence[str], settings_block: str | None) -> int:
    """Emit `hirehound.organizations.created` for the employers these runs created.

    Only their own (stamped `created_by_run` when created): another run's organizations are
    announced by that run. The enrich-new-organizations deployment's trigger (prefect.yaml)
    listens for it, so enrichment follows ingestion without this flow waiting for it.
    """
    from prefect.events import emit_event
    from sqlalchemy import text

    from hirehound.storage import db

    if not run_ids:
        return 0
    with db.transaction() as session:
        ids = list(session.scalars(text(
            "select id from organizations where created_by_run = any(:runs) "
            "and enriched_at is null order by id limit 1000"), {"runs": list(run_ids)}))
    if ids:
        emit_event(
            event="hirehound.organizations.created",
            resource={"prefect.resource.id": "hirehound.organizations"},
            payload={"organization_ids": ids, "count": len(ids),
                     "settings_block": settings_block or ""},
        )
    return len(ids)


def _summary_artifact(totals: Counter[str], elapsed: float | None,
                      key: str = "ingest-summary") -> None:
    rows = [{"metric": k, "value": v} for k, v in sorted(totals.items())]
    if elapsed:
        rows.append({"metric": "seconds", "value": round(elapsed, 2)})
        rows.append({"metric": "postings_per_s",
                     "value": round(totals["processed"] / elapsed, 1) if elapsed else 0})
    create_table_artifact(rows, key=key, description="What this ingestion run did")


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

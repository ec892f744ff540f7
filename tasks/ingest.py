"""Thin Prefect tasks over the ingestion core, one per stage of a chunk, each over its ids.

Concerns: `fetch_and_store` talks to the outside and carries the `scraping` tag (a tag-based
limit can throttle it across flows). The chunk steps carry no tag: Prefect
acquires and releases a concurrency lease per tag on every task run, measured here at ~90 ms
per run under load, which would double the orchestration cost of a chunk. Their flow runs
are limited by the work queue of their concern instead.

Each task runs one stage of a chunk: one or a few core steps, each in its own transaction with
its own dead letters (named after the core step). Stages rather than a task per step because
every task run costs Prefect's API ~30 ms of CPU, most of it recording the task run's states
(measured: its server used 15 s of CPU for the ~440 task runs of 20k postings with a task per
step, 8.8 s for ~250 with five stages); where the API shares the worker's cores, that is
taken from the work. A chunk that only has exact duplicates takes 3 task runs.

A chunk step that still fails after its retries fails the chunk: the flow dead-letters the
chunk's ids (it knows them; Prefect hooks do not get task arguments) and goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from prefect import task
from prefect.cache_policies import NO_CACHE

from hirehound import concerns, ingest
from hirehound.dedup import DedupDecision
from hirehound.ingest import Routing
from tasks._context import run_names, run_step, settings
from tasks._retry import (
    RETRY_JITTER,
    TIMEOUTS,
    outage_backoff,
    retry_outage_only,
    retry_unless_bad_data_long_outage,
)

# Chunk steps touch only our database. A lost connection (a restart, a failover) is retried
# with growing waits for up to HIREHOUND_TIMEOUT_CHUNK_OUTAGE_S in all; any other failure
# that is not bad data gets the first two (1 s, 2 s), so a chunk that fails on its own is
# dead-lettered (by the flow, after the last attempt) within seconds.
CHUNK_RETRY_DELAYS = outage_backoff(TIMEOUTS.chunk_retry_first_s, TIMEOUTS.chunk_outage_s)
_CHUNK: dict[str, Any] = {
    # Chunk steps write to the database: never answer one from a cache. Skipping the cache
    # key (a hash of the inputs and of the task's source) also saves ~2 ms per task run.
    "cache_policy": NO_CACHE,
    "persist_result": False,
    "retries": len(CHUNK_RETRY_DELAYS),
    "retry_delay_seconds": CHUNK_RETRY_DELAYS,
    "retry_jitter_factor": RETRY_JITTER,
    "retry_condition_fn": retry_unless_bad_data_long_outage,
    # A stuck stage (a lock wait, a hung embedding call) fails and retries like any failure.
    "timeout_seconds": TIMEOUTS.chunk_stage_s,
}


class Chunk(Sequence[int]):
    """The posting ids a chunk step passes on to the next, as one object.

    Prefect remembers every object a task returns for the rest of the flow run
    (`FlowRunContext.run_results`, one entry per list item): a list of 512 ids would add 512
    entries per task run, so a long bulk run would grow without bound. A Chunk is one entry,
    and the next task finds its upstream task run through it, so the UI draws each chunk's
    chain. Prefect does not walk into it either (it walks lists item by item).
    """

    __slots__ = ("__weakref__", "_ids")

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._ids = list(ids)

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> list[int]: ...
    def __getitem__(self, i: int | slice) -> int | list[int]:
        return self._ids[i]

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __repr__(self) -> str:
        return f"Chunk(<{len(self._ids)} postings>)"


# The concern whose global limit a chunk stage holds while it runs (taken by the flow around
# the task call, so `--direct` runs never touch Prefect): embedding is the ML work, the dedup
# stages the deduplication work, indexing+scoring the indexing work; preparing is processing.
STAGE_LIMITS: dict[str, str] = {
    "prepare_and_check": concerns.PROCESSING,
    "extract_skills_and_embed": concerns.ML,
    "deduplicate_and_cluster": concerns.DEDUPLICATION,
    "index_and_publish": concerns.INDEXING,
    "reindex": concerns.INDEXING,
}
# Dead-letter steps naming a whole chunk's failure (a stage task, the flow before its first
# stage, a child run that ended badly, a fetch): the sweep retries their postings, never
# those with a letter of their own (hirehound.maintenance.claim_stuck).
# The three stages `deduplicate_and_cluster` replaced still name letters written before it.
SWEEP_RETRY_STEPS = (*STAGE_LIMITS, "start", "process", "sweep",
                     "deep_check", "attach_duplicates", "assign_clusters")


def _ok(result: Any) -> Chunk:
    return Chunk(result.ok)


@task(
    tags=["scraping"],
    # No task retries: the HTTP layer already retries network errors, 5xx and 429 with
    # backoff and Retry-After; retrying that again multiplied the wait (an unknown board
    # took 63 s to fail). A target that still fails is dead-lettered by the flow. A lost
    # database is retried like a chunk's (storing again is idempotent; what was stored and
    # not yet published is returned again to process).
    retries=len(CHUNK_RETRY_DELAYS),
    retry_delay_seconds=CHUNK_RETRY_DELAYS,
    retry_jitter_factor=RETRY_JITTER,
    retry_condition_fn=retry_outage_only,
    timeout_seconds=TIMEOUTS.fetch_s,
    cache_policy=NO_CACHE,
    persist_result=False,
)
def fetch_and_store(
    targets: list[str], source: str | None = None, batch_size: int = 256, force: bool = False
) -> dict[str, Any]:
    """Read boards, URLs or files and store every posting raw; return the ids to process."""
    from hirehound.crawl import DEFAULT_MIN_INTERVAL_S
    from hirehound.errors import SourceError
    from hirehound.ingest import bad_record_letter, batches
    from hirehound.records import DeadLetter, SourcePosting
    from hirehound.sources import read_postings
    from tasks._context import limit_exists
    from tasks.crawl import SCRAPING_RATE_LIMIT, polite

    ids: list[int] = []
    read = unchanged = bad = 0
    remote = any("://" in t or ":" in t.split("/")[0] for t in targets)
    # URLs take a `scraping-rate` slot and wait out their host's interval, as crawls do.
    hook = polite(DEFAULT_MIN_INTERVAL_S, SCRAPING_RATE_LIMIT
                  if remote and limit_exists(SCRAPING_RATE_LIMIT) else None)
    failed: list[tuple[str, Exception]] = []

    def each(target: str) -> Iterator[Any]:
        # One target that cannot be read (or stops being readable half-way: a file over a
        # cap) is dead-lettered with its reason; the targets after it are still read.
        try:
            yield from read_postings(target, kind=source,  # type: ignore[arg-type]
                                     settings=settings(), before_request=hook)
        except SourceError as exc:
            failed.append((target, exc))

    stream = (p for target in targets for p in each(target))
    for batch in batches(stream, batch_size):
        read += len(batch)
        good = [p for p in batch if isinstance(p, SourcePosting)]
        letters = [bad_record_letter(p) for p in batch if not isinstance(p, SourcePosting)]
        result = run_step(ingest.store_raw, good, force=force)
        ids.extend(result.to_process)
        unchanged += len(result.unchanged)
        bad += len(letters) + len(result.dead)
        if letters:
            run_step(lambda _s, letters=letters: ingest.StepResult("parse", [], letters))
    if len(targets) == 1 and failed and not read:
        raise failed[0][1]  # nothing read: the flow dead-letters the target and goes on
    if failed:
        run_step(lambda _s: ingest.StepResult("fetch", [], [
            DeadLetter("fetch", getattr(exc, "error_type", None) or type(exc).__name__,
                       str(exc)[:4000], target=target) for target, exc in failed]))
    return {"targets": targets, "ids": ids, "read": read, "unchanged": unchanged, "bad": bad,
            "targets_failed": len(failed)}


@task(**_CHUNK)
def prepare_and_check(posting_ids: Sequence[int]) -> Routing:
    """Clean and sanitize the HTML, normalize the fields, find or create each employer, then
    the exact and near-duplicate stages: the branch each posting takes. Postings a crash
    left past clustering skip all that (`Routing.resumed`)."""
    resume = run_step(ingest.resume_points, list(posting_ids))
    past = set(resume.resumed)
    ok = run_step(ingest.clean, [i for i in posting_ids if i not in past], settings()).ok
    ok = run_step(ingest.normalize, list(ok)).ok
    ok = run_step(ingest.match_organizations, list(ok), run_id=run_names()["flow_run_id"]).ok
    routing: Routing = run_step(ingest.check_duplicates, list(ok))
    routing.resumed, routing.resumed_exact = resume.resumed, resume.resumed_exact
    return routing


@task(**_CHUNK)
def extract_skills_and_embed(posting_ids: Sequence[int]) -> Chunk:
    """Skills from the shipped taxonomy; title, description and combined vectors."""
    ok = run_step(ingest.extract_skills, list(posting_ids)).ok
    return _ok(run_step(ingest.embed, list(ok), settings()))


@task(**_CHUNK)
def deduplicate_and_cluster(possible: list[DedupDecision], unique: list[DedupDecision],
                            exact: list[DedupDecision], own: Sequence[int] = ()) -> Chunk:
    """The deep check of the possible duplicates, then the clusters: new ones for unique
    postings, attachments and merges for duplicates; last the exact copies (one may copy a
    posting of this very chunk, clustered just before), which inherit their original's skills
    and vectors (but those in `own`, which have their own). One task run rather than three:
    each costs the flow and Prefect's API ~10-30 ms of CPU."""
    decided = run_step(ingest.deep_check, possible) if possible else []
    ok = list(run_step(ingest.assign_clusters, decided + unique).ok) if decided or unique else []
    if exact:
        run_step(ingest.inherit_from_duplicates, exact, own=list(own))
        ok += run_step(ingest.assign_clusters, exact).ok
    return Chunk(ok)


@task(**_CHUNK)
def index_and_publish(posting_ids: Sequence[int], inherit: list[int]) -> Chunk:
    """Full-text documents and cluster vectors, quality score, spam score (duplicates inherit
    their cluster's verdict), then active and searchable, or held back with the reason."""
    ok = run_step(ingest.index, list(posting_ids)).ok
    ok = run_step(ingest.score_quality, list(ok)).ok
    ok = run_step(ingest.score_spam, list(ok), inherit=inherit).ok
    return _ok(run_step(ingest.publish, list(ok)))


@task(**_CHUNK)
def reindex(posting_ids: Sequence[int]) -> Chunk:
    """Search documents and cluster vectors again, statuses untouched (after a change of
    search weights, the embedding model or the skills list)."""
    return _ok(run_step(ingest.index, list(posting_ids)))


@task(**_CHUNK)
def select_live_postings(after_id: int, limit: int, statuses: list[str]) -> list[int]:
    """The next page of live posting ids for a re-run."""
    return run_step(lambda session: ingest.posting_ids_after(session, after_id, limit, statuses))

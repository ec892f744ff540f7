"""Thin Prefect tasks over the enrichment core: dedup, one fetch per source, merge.

Remote sources hold a slot of the `enrichment` concurrency limit (10) and take a token of
the `enrichment-rate` rate limit (50/min) per lookup; both are created by `hirehound setup`
and skipped when absent, so local runs need no server-side setup. Every task writes its
stage record (`@recorded_in`, queue `enrichment`) for the exporter.
Source failures never fail the organization: an open circuit skips the source, a failure
for good becomes a dead letter, and the merge uses the sources that answered.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any, cast

from prefect import get_run_logger, task

from hirehound import concerns
from hirehound import enrichment as en
from hirehound.errors import EnrichmentDataError, EnrichmentError
from hirehound.storage import db
from tasks._context import concern_slot, rate_token, recorded_in, run_names, settings
from tasks._retry import RETRY_JITTER, TIMEOUTS, backoff, retry_unless_bad_data

CONCURRENCY_LIMIT = concerns.ENRICHMENT
RATE_LIMIT = concerns.ENRICHMENT_RATE
# Secret block name per API source (from its registry entry); the value is the key, or
# {"api_key", "base_url"}.
SECRETS = en.secret_blocks()
_CREDENTIAL_TTL_S = 60.0
_cache: dict[str, tuple[float, en.ApiCredentials | None]] = {}
_cache_lock = threading.Lock()

_DB_RETRIES: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": backoff(1.0, 2),
    "retry_jitter_factor": RETRY_JITTER,
    "retry_condition_fn": retry_unless_bad_data,
    "timeout_seconds": TIMEOUTS.database_task_s,
}


def credentials(source: str) -> en.ApiCredentials | None:
    """The API credentials of `source` from its Secret block (cached a minute; None if unset)."""
    name = SECRETS.get(source)
    if name is None:
        return None
    with _cache_lock:
        hit = _cache.get(source)
        if hit and time.monotonic() - hit[0] < _CREDENTIAL_TTL_S:
            return hit[1]
    from prefect.blocks.system import Secret

    try:
        value = cast(Secret[str], Secret.load(name, validate=False)).get()  # sync call: a block
    except ValueError:  # no such block: the source is simply not configured
        value = None
    creds = None
    if isinstance(value, dict) and value.get("api_key"):
        creds = en.ApiCredentials(str(value["api_key"]), value.get("base_url"))
    elif isinstance(value, str) and value.strip():
        creds = en.ApiCredentials(value.strip())
    with _cache_lock:
        _cache[source] = (time.monotonic(), creds)
    return creds


def configured_sources() -> list[str]:
    """Sources that can run: website and reference always, APIs when their secret exists."""
    return [s for s in en.SOURCE_NAMES if s not in SECRETS or credentials(s) is not None]


@functools.cache
def _classifier() -> en.IndustryClassifier:
    from hirehound.embeddings import get_embedder

    return en.IndustryClassifier(get_embedder(settings()))


def _embed(texts: list[str]) -> Any:
    from hirehound.embeddings import get_embedder

    return get_embedder(settings()).embed(texts)


def _moved(result: dict[str, Any]) -> int:
    return int(result["moved_postings"])  # re-indexed under the survivor


# A run holds the organizations it selected this long at most (a crashed run's lapse).
ENRICH_CLAIM_S = 900.0


@task(tags=["enrichment"], **_DB_RETRIES)
@recorded_in(concerns.ENRICHMENT)
def select_organizations(
    org_ids: list[int] | None = None,
    names: list[str] | None = None,
    stale_days: int | None = None,
    only_new: bool = False,
    limit: int = 500,
) -> list[int]:
    """Ids of the organizations this run enriches, claimed so no other run enriches them."""
    with db.transaction() as session:
        return en.select_organizations(
            session,
            org_ids=org_ids,
            names=names,
            stale_days=stale_days,
            only_new=only_new,
            limit=limit,
            claim_s=ENRICH_CLAIM_S,
        )


@task(tags=["enrichment"], **_DB_RETRIES)
@recorded_in(concerns.ENRICHMENT)
def release_organizations(org_ids: list[int]) -> None:
    """Let other runs enrich these again (the run is over, whatever its outcome)."""
    with db.transaction() as session:
        en.release_organizations(session, org_ids)


@task(tags=["enrichment"], **_DB_RETRIES)
@recorded_in(concerns.ENRICHMENT, postings=_moved)
def dedup_organization(org_id: int) -> dict[str, Any]:
    """Merge the organization with its duplicates; returns the survivor and what moved."""
    from hirehound.search import index_postings

    with db.transaction() as session:
        survivor, merged, moved = en.dedup_organization(session, org_id)
        if moved:
            index_postings(session, moved)
    return {"organization_id": survivor, "merged": merged, "moved_postings": len(moved)}


@task(
    tags=["enrichment"],
    retries=1,
    retry_delay_seconds=5,
    retry_jitter_factor=RETRY_JITTER,
    retry_condition_fn=retry_unless_bad_data,
    timeout_seconds=TIMEOUTS.enrich_source_s,
)
@recorded_in(concerns.ENRICHMENT)
def fetch_source(org_id: int, source: str) -> dict[str, Any]:
    """One source's facts about one organization (HTTP retries happen inside the client)."""
    log = get_run_logger()
    with db.transaction() as session:
        query = en.load_query(session, org_id)
    client = en.http_client(settings())
    src = en.build_source(source, settings(), credentials(source), client=client)
    if src is None:
        client.close()
        return {"source": source, "skipped": "not configured"}
    key = src.breaker_key(query)
    try:
        if not src.remote:
            result = src.lookup(query)
        else:
            breaker = en.CircuitBreaker(key, db.transaction) if key else None
            if breaker is not None:
                breaker.before_call()  # fail fast before waiting for a rate-limit token
            rate_token(RATE_LIMIT)
            with concern_slot(CONCURRENCY_LIMIT):
                if breaker is None:
                    result = src.lookup(query)
                else:
                    with breaker.guard():
                        result = src.lookup(query)
    except en.CircuitOpen as exc:
        log.info("%s skipped for organization %d: %s", source, org_id, exc)
        return {"source": source, "skipped": "circuit open"}
    except EnrichmentError as exc:
        # Failed for good (the client already retried transient errors): dead-letter it and
        # let the merge go on with the other sources.
        with db.transaction() as session:
            en.record_source_failure(session, org_id=org_id, source=source, error=exc,
                                     **run_names())
        kind = "bad data" if isinstance(exc, EnrichmentDataError) else "unavailable"
        log.warning("%s failed for organization %d (%s): %s", source, org_id, kind, exc)
        return {"source": source, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        client.close()
    if result is None:
        return {"source": source, "fields": {}}
    return result.as_dict()


def dead_letter_merge(org_id: int, state: Any) -> None:
    """A merge that failed after its retries: one letter carrying the organization id (the
    flow calls this; it knows the id, a failure hook is not given the task's arguments)."""
    from hirehound.records import DeadLetterRecord
    from hirehound.storage import dead_letters
    from tasks._retry import failure_exception

    exc = failure_exception(state)
    letter = DeadLetterRecord(
        "enrich:merge", type(exc).__name__ if exc else "Failed",
        str(exc) if exc else str(getattr(state, "message", None) or "merge failed"),
        organization_id=org_id, task_name="merge_organization", inputs={"org_id": org_id},
    )
    with db.transaction() as session:
        dead_letters.record(session, [letter], **run_names())


@task(tags=["enrichment"], **_DB_RETRIES)
@recorded_in(concerns.ENRICHMENT)
def merge_organization(org_id: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Fan-in: merge the sources' facts with provenance, derive industry/size/HQ/logo/vector,
    write the organization and re-index its postings when something changed."""
    from hirehound.geo import geocode
    from hirehound.search import index_postings

    s = settings()
    logo_client = en.http_client(s, timeout=5.0, attempts=2, max_bytes=1_000_000)
    try:
        with db.transaction() as session:
            outcome = en.apply_enrichment(
                session,
                org_id,
                [r for r in results if r and r.get("fields")],
                classifier=_classifier(),
                embed=_embed,
                geocode=geocode,
                pick_logo=lambda c: en.pick_logo(logo_client, c),
                reindex=index_postings,
            )
    finally:
        logo_client.close()
    out = outcome.as_dict()
    out["skipped"] = [r["source"] for r in results if r and r.get("skipped")]
    out["failed"] = [r["source"] for r in results if r and r.get("error")]
    return out

"""Organization enrichment flows.

select ─► dedup (merge duplicates, keep aliases) ─► per organization, in parallel:
    website ─┐
    reference├─► merge (provenance, conflicts, industry, size, HQ, logo, vector) ─► re-index
    clearbit │
    crunchbase┘  (API sources only when their Secret block exists)
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows._runtime import configure
from tasks import enrich as t
from tasks._retry import TIMEOUTS

# An unbounded thread pool made 600 threads for a 1,000-item map (DESIGN); 16 is plenty
# when the enrichment limit allows 10 remote calls at once.
_RUNNER: TaskRunner[Any] = ThreadPoolTaskRunner(max_workers=16)


def _enrich(org_ids: list[int]) -> dict[str, Any]:
    log = get_run_logger()
    sources = t.configured_sources()
    deduped = t.dedup_organization.map(org_ids).result()
    survivors = list(dict.fromkeys(d["organization_id"] for d in deduped))
    merged_away = len({m for d in deduped for m in d["merged"]})

    # Fan out one task per (organization, source); fan in one merge per organization.
    merges: list[PrefectFuture[dict[str, Any]]] = []
    for org_id in survivors:
        fetched = [t.fetch_source.submit(org_id, source) for source in sources]
        # Prefect waits for the futures and passes their results (its types do not say so).
        merges.append(t.merge_organization.submit(org_id, cast(Any, fetched)))

    counts: Counter[str] = Counter()
    rows = []
    failed_orgs = []
    for org_id, future in zip(survivors, merges, strict=True):
        future.wait()
        if not future.state.is_completed():
            t.dead_letter_merge(org_id, future.state)
            failed_orgs.append(org_id)
            continue
        out = future.result()
        counts["enriched"] += 1
        counts["changed_fields"] += len(out["changed"])
        counts["reindexed_postings"] += out["reindexed"]
        counts.update(f"failed:{s}" for s in out["failed"])
        counts.update(f"skipped:{s}" for s in out["skipped"])
        rows.append(
            {
                "organization_id": org_id,
                "sources": ", ".join(out["sources"]),
                "changed": ", ".join(out["changed"]),
                "conflicts": ", ".join(out["conflicts"]),
                "failed": ", ".join(out["failed"]),
            }
        )
    summary = {
        "selected": len(org_ids),
        "merged_duplicates": merged_away,
        "sources": sources,
        "failed_organizations": failed_orgs,
        **counts,
    }
    create_table_artifact(rows[:500], key="enrichment-summary", description=str(summary))
    log.info("enrichment: %s", summary)
    if failed_orgs:
        # A merge that failed for good is dead-lettered; failing the run lets automations alert.
        raise RuntimeError(f"enrichment failed for organizations {failed_orgs[:20]}")
    return summary


@flow(task_runner=_RUNNER, timeout_seconds=TIMEOUTS.enrich_flow_s)
def enrich_organization(org_id: int, settings_block: str | None = None) -> dict[str, Any]:
    """Enrich one organization (after ingestion created or changed it).

    Args:
        org_id: id of the organization (a merged-away duplicate enriches its survivor).
        settings_block: name of a `hirehound-settings` block (database URL, embeddings) to
            read settings from; empty: the worker's HIREHOUND_* environment.
    """
    configure(settings_block)
    return _enrich_claimed(t.select_organizations(org_ids=[org_id], limit=1))


@flow(task_runner=_RUNNER, timeout_seconds=TIMEOUTS.enrich_flow_s)
def enrich_organizations(
    org_ids: list[int] | None = None,
    stale_days: int | None = None,
    only_new: bool = False,
    limit: int = 500,
    names: list[str] | None = None,
    settings_block: str | None = None,
) -> dict[str, Any]:
    """Enrich a list of organizations (ids or names), the never-enriched ones, or the stale.

    With no selector, organizations never enriched come first, then the oldest enrichments.
    Selectors given together must all hold (`only_new` wins over `stale_days`).

    Args:
        org_ids: enrich these organizations (by id).
        stale_days: enrich organizations never enriched or enriched more than this many days
            ago.
        only_new: enrich only organizations never enriched.
        limit: enrich at most this many organizations in this run.
        names: enrich these organizations, matched by normalized name or alias.
        settings_block: name of a `hirehound-settings` block (database URL, embeddings) to
            read settings from; empty: the worker's HIREHOUND_* environment.
    """
    configure(settings_block)
    ids = t.select_organizations(
        org_ids=org_ids, names=names, stale_days=stale_days, only_new=only_new, limit=limit
    )
    return _enrich_claimed(ids)


def _enrich_claimed(ids: list[int]) -> dict[str, Any]:
    if not ids:
        get_run_logger().info("nothing to enrich (or another run is enriching it)")
        return {"selected": 0}
    try:
        return _enrich(ids)
    finally:
        t.release_organizations(ids)


def run_enrich(
    names: list[str] | None = None,
    *,
    all: bool = False,  # mirrors the CLI flag
    stale: int | None = None,
    limit: int = 500,
) -> dict[str, Any]:
    """`hirehound enrich [--all | --stale DAYS | ORG_NAME...]` (the lead's CLI calls this).

    --all: every live organization (up to `limit`); --stale DAYS: enriched longer ago (or
    never); names: those organizations (normalized names and aliases match).
    """
    if sum(bool(x) for x in (names, all, stale is not None)) != 1:
        raise SystemExit("give exactly one of --all, --stale DAYS or organization names")
    if names:
        return enrich_organizations(names=names, limit=limit)
    if stale is not None:
        return enrich_organizations(stale_days=stale, limit=limit)
    return enrich_organizations(limit=limit)


if __name__ == "__main__":
    enrich_organizations(only_new=True, limit=50)

"""Working the dead letters: replay them, and tell someone when a run writes many.

- `replay_dead_letters` (deployment `replay-dead-letters`, `processing` queue: it runs the
  same chunk stages as a bulk import's child runs and takes the same slots): the open letters
  chosen by step, age or id run again. Postings go through the chunk stages from their stored
  raw record (from cleaning on: every stage rewrites its own columns, so running the ones
  before the failed step again is harmless, and the dedup check must route the posting
  afresh anyway); targets are fetched again; organizations are enriched again. What went
  through is resolved with this run's id; what fails again keeps its one letter, whose
  `attempts` goes up (`hirehound.storage.dead_letters.record` upserts).
- `announce_dead_letters`: a flow that wrote dead letters emits `hirehound.dead-letters.
  recorded` (resource: the flow run) with the counts per step and its postings; the
  automations `hirehound setup` creates alert on a share of the postings and on any letter
  of a run from the `critical` queue (deployments/setup/_automations.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows._runtime import configure
from hirehound.concerns import DEAD_LETTER_SHARE_LABEL, DEAD_LETTERS_EVENT, WORK_QUEUE_LABEL
from tasks._retry import TIMEOUTS


def share_percent(dead_lettered: int, postings: int) -> int:
    """Whole percent of a run's postings that were dead-lettered, rounded up (so "more than
    49 %" holds for 49.2 %); 100 when letters name no posting count (every target failed)."""
    if dead_lettered <= 0:
        return 0
    if postings <= 0:
        return 100
    return min(100, math.ceil(100 * dead_lettered / postings))


def announce_dead_letters(run_ids: Sequence[str], postings: int) -> dict[str, Any] | None:
    """Emit `hirehound.dead-letters.recorded` for the open letters these runs wrote (the
    current run first: the event's resource); nothing when they wrote none or outside a run."""
    from prefect.context import FlowRunContext
    from prefect.events import emit_event

    from hirehound.storage import db, dead_letters

    ctx = FlowRunContext.get()
    run = ctx.flow_run if ctx else None
    if run is None or not run_ids:
        return None
    with db.transaction() as session:
        counts = dead_letters.run_counts(session, list(run_ids))
    if not counts.total:
        return None
    queue = run.work_queue_name or ""
    pct = share_percent(counts.postings, postings)
    payload = {
        "by_step": counts.by_step,
        "dead_letters": counts.total,
        "dead_lettered_postings": counts.postings,
        "postings": postings,
        "share": round(counts.postings / postings, 4) if postings else 1.0,
        "work_queue": queue,
        "flow_name": ctx.flow.name if ctx and ctx.flow else "",
    }
    emit_event(
        event=DEAD_LETTERS_EVENT,
        resource={
            "prefect.resource.id": f"prefect.flow-run.{run.id}",
            "prefect.resource.name": run.name,
            DEAD_LETTER_SHARE_LABEL: str(pct),
            WORK_QUEUE_LABEL: queue,
        },
        payload=payload,
    )
    get_run_logger().warning("dead letters in this run: %s of %d postings (%d%%), by step %s",
                             counts.postings, postings, pct, counts.by_step)
    return payload


def _database_now() -> datetime:
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as session:
        now: datetime = session.execute(text("select now()")).scalar_one()
    return now


def _replay_postings(posting_ids: list[int], chunk_size: int) -> Counter[str]:
    from flows.ingest import _prefect, run_fetches

    if not posting_ids:
        return Counter()
    try:
        return run_fetches([("dead letters", lambda: {"ids": posting_ids, "counts": {}})],
                           chunk_size, _prefect, fetch_step="replay")
    except RuntimeError as exc:  # every chunk failed again: their letters say why
        get_run_logger().warning("replayed postings failed again: %s", exc)
        return Counter(replay_errors=1)


def _replay_targets(targets: list[str], chunk_size: int) -> Counter[str]:
    from flows.ingest import _ingest, _prefect

    totals: Counter[str] = Counter()
    for target in targets:  # one at a time: one that fails again is written again, alone
        try:
            totals.update(_ingest([target], None, chunk_size, True, _prefect))
        except Exception as exc:  # its letter was written again by the fetch
            get_run_logger().warning("target %s failed again: %s", target, exc)
            totals["replay_errors"] += 1
    return totals


def _replay_organizations(org_ids: list[int], settings_block: str | None) -> Counter[str]:
    from flows.enrich import enrich_organizations

    if not org_ids:
        return Counter()
    try:
        enrich_organizations(org_ids=org_ids, limit=len(org_ids), settings_block=settings_block)
    except Exception as exc:  # a merge that failed again wrote its letter again
        get_run_logger().warning("enrichment failed again: %s", exc)
        return Counter(replay_errors=1)
    return Counter()


@flow(name="replay-dead-letters", timeout_seconds=TIMEOUTS.replay_flow_s)
def replay_dead_letters(
    step: str | None = None,
    since: datetime | None = None,
    ids: list[int] | None = None,
    limit: int = 1000,
    chunk_size: int = 256,
    settings_block: str | None = None,
) -> dict[str, int]:
    """Run the open dead letters again and resolve the ones that go through.

    Args:
        step: only letters of this step (`normalize`, `fetch`, `enrich:website`, ...).
        since: only letters written at or after this time.
        ids: only these letters (the ids `hirehound dead-letters` shows).
        limit: at most this many letters, oldest first.
        chunk_size: postings per task run when postings are processed again.
        settings_block: name of a `hirehound-settings` block (database URL, embeddings) to
            read settings from; empty: the worker's HIREHOUND_* environment.
    """
    from prefect.runtime import flow_run

    from hirehound.storage import db, dead_letters

    configure(settings_block)
    run_id = str(flow_run.id) if flow_run.id else None
    started = _database_now()
    with db.transaction() as session:
        letters = dead_letters.open_letters(session, step=step, since=since, ids=ids,
                                            limit=limit)
        chosen = [(dl.id, dl.posting_id, dl.target, dl.organization_id) for dl in letters]
    postings = sorted({p for _, p, _, _ in chosen if p is not None})
    targets = list(dict.fromkeys(t for _, p, t, _ in chosen if p is None and t))
    orgs = sorted({o for _, p, t, o in chosen if p is None and not t and o is not None})
    totals: Counter[str] = Counter(letters=len(chosen), postings=len(postings),
                                   targets=len(targets), organizations=len(orgs))
    work = (_replay_postings(postings, chunk_size) + _replay_targets(targets, chunk_size)
            + _replay_organizations(orgs, settings_block))
    totals.update({k: v for k, v in work.items()
                   if k in ("published", "replay_errors", "chunks_failed")})
    with db.transaction() as session:
        totals.update(dead_letters.settle_replay(session, [c[0] for c in chosen],
                                                 started=started, run_id=run_id))
    create_table_artifact([{"metric": k, "value": v} for k, v in sorted(totals.items())],
                          key="dead-letter-replay", description="What this replay did")
    get_run_logger().info("replayed dead letters: %s", dict(totals))
    if run_id:
        announce_dead_letters([run_id], len(postings))
    return dict(totals)


if __name__ == "__main__":
    print(replay_dead_letters())

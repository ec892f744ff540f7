"""The dead-letter table: what failed for good, with the step, the reason and the input.

`record` is the one writer: every step, task and flow builds `DeadLetterRecord`s and hands
them here. A letter is about one thing (a posting, a target, an organization, or a source
record that never became a posting); while it is open (not resolved), failing again at the
same step updates that letter (`attempts` + 1, the new error and run) instead of adding a
second one, so a replay that still fails leaves one letter with its count.

Working the letters: `open_letters` picks them (step, age, ids), `resolve` closes them with
who and why, `purge_resolved` deletes the resolved ones past the retention.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hirehound.limits import LimitExceeded, scrub_json, scrub_text
from hirehound.records import DeadLetterRecord
from hirehound.storage.models import DeadLetter as DeadLetterRow

__all__ = [
    "MAX_PAYLOAD_CHARS",
    "DeadLetterRecord",
    "RunCounts",
    "letter_key",
    "open_letters",
    "purge_resolved",
    "record",
    "resolve",
    "run_counts",
    "settle_replay",
]

# A dead letter keeps the input to replay it, but never an unbounded payload.
MAX_PAYLOAD_CHARS = 200_000
MAX_DETAIL_CHARS = 4000
# Dead-letter `inputs` keep parameters small: long lists are cut to this many items.
_MAX_INPUT_ITEMS = 1000

Key = tuple[str, str, Any]


def _jsonable(payload: Any) -> Any:
    if payload is None:
        return None
    try:
        text = json.dumps(payload, default=str)
    except (TypeError, ValueError):
        text = json.dumps(repr(payload))
    except RecursionError:  # nested past what json walks: keep what it is, not all of it
        text = json.dumps(f"<{type(payload).__name__} nested too deeply to keep>")
    if len(text) > MAX_PAYLOAD_CHARS:
        return {"truncated": True, "head": scrub_text(text[:MAX_PAYLOAD_CHARS])}
    # JSONB refuses NULs and lone surrogates: the letter must not fail where the record did.
    try:
        return scrub_json(json.loads(text), max_depth=200)
    except (LimitExceeded, RecursionError):
        return {"truncated": True, "head": scrub_text(text[:10_000])}


def _small_inputs(inputs: dict[str, Any] | None) -> dict[str, Any] | None:
    """Inputs with long lists cut (their full length kept as `<key>__total`)."""
    if not inputs:
        return None
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        if isinstance(value, (list, tuple)) and len(value) > _MAX_INPUT_ITEMS:
            out[key] = list(value)[:_MAX_INPUT_ITEMS]
            out[f"{key}__total"] = len(value)
        else:
            out[key] = value
    return _jsonable(out)


def letter_key(letter: DeadLetterRecord) -> Key | None:
    """(step, what, id): what one open letter is about; None when it names nothing."""
    if letter.posting_id is not None:
        return (letter.step, "posting", int(letter.posting_id))
    if letter.target:
        return (letter.step, "target", letter.target)
    if letter.organization_id is not None:
        return (letter.step, "organization", int(letter.organization_id))
    if letter.source and letter.source_id:
        return (letter.step, "record", (letter.source, letter.source_id))
    return None


def _row_key(row: Any) -> Key | None:
    return letter_key(DeadLetterRecord(
        row.step, "", "", posting_id=row.posting_id, source=row.source,
        source_id=row.source_id, target=row.target, organization_id=row.organization_id))


def record(
    session: Session,
    letters: Sequence[DeadLetterRecord],
    *,
    flow_name: str | None = None,
    flow_run_id: str | None = None,
    task_name: str | None = None,
    work_queue: str | None = None,
) -> int:
    """Write dead letters in `session`'s transaction; return how many were written.

    The run fields fill what a letter leaves empty. A letter about the same thing and step
    as an open letter updates it (attempts + 1) instead of inserting; letters repeated within
    `letters` count as one.
    """
    if not letters:
        return 0
    filled = [
        replace(
            dl,
            run_id=dl.run_id or flow_run_id,
            flow_name=dl.flow_name or flow_name,
            task_name=dl.task_name or task_name,
            work_queue=dl.work_queue or work_queue,
        )
        for dl in letters
    ]
    batch: dict[Key, DeadLetterRecord] = {}
    repeats: Counter[Key] = Counter()
    loose: list[DeadLetterRecord] = []
    for dl in filled:
        key = letter_key(dl)
        if key is None:
            loose.append(dl)
        else:
            batch[key] = dl  # the last error wins
            repeats[key] += 1
    existing = _open_rows(session, batch)
    updates = [
        {
            "lid": existing[key],
            "error_type": dl.error,
            "detail": scrub_text(dl.detail[:MAX_DETAIL_CHARS]),
            "flow_name": dl.flow_name,
            "flow_run_id": dl.run_id,
            "task_name": dl.task_name,
            "work_queue": dl.work_queue,
            "n": repeats[key],
        }
        for key, dl in batch.items()
        if key in existing
    ]
    if updates:
        from sqlalchemy import bindparam

        session.connection().execute(
            update(DeadLetterRow.__table__)  # type: ignore[arg-type]
            .where(DeadLetterRow.__table__.c.id == bindparam("lid"))
            .values(
                error_type=bindparam("error_type"), detail=bindparam("detail"),
                flow_name=bindparam("flow_name"), flow_run_id=bindparam("flow_run_id"),
                task_name=bindparam("task_name"), work_queue=bindparam("work_queue"),
                attempts=DeadLetterRow.__table__.c.attempts + bindparam("n"),
                updated_at=func.now(),
            ),
            updates,
        )
    rows = [
        _row(dl, repeats[key] if key else 1)
        for key, dl in [*((k, d) for k, d in batch.items() if k not in existing),
                        *((None, d) for d in loose)]
    ]
    if rows:
        session.execute(insert(DeadLetterRow), rows)
    return len(updates) + len(rows)


def _row(dl: DeadLetterRecord, attempts: int) -> dict[str, Any]:
    inputs = dl.inputs
    if inputs is None and dl.posting_id is not None:
        inputs = {"posting_ids": [dl.posting_id]}
    return {
        "flow_name": dl.flow_name,
        "flow_run_id": dl.run_id,
        "task_name": dl.task_name,
        "work_queue": dl.work_queue,
        "step": dl.step,
        "error_type": dl.error,
        # JSONB and text columns refuse NULs and lone surrogates: the letter must not fail
        # where the record did.
        "detail": scrub_text(dl.detail[:MAX_DETAIL_CHARS]),
        "source": scrub_text(dl.source) if dl.source else dl.source,
        "source_id": scrub_text(dl.source_id) if dl.source_id else dl.source_id,
        "posting_id": dl.posting_id,
        "target": scrub_text(dl.target) if dl.target else dl.target,
        "organization_id": dl.organization_id,
        "payload": _jsonable(dl.payload),
        "inputs": _small_inputs(inputs),
        "attempts": attempts,
    }


def _open_rows(session: Session, batch: dict[Key, DeadLetterRecord]) -> dict[Key, int]:
    """{key: id} of the open letters about the same things and steps, one query, locked so
    two writers of one key take turns."""
    if not batch:
        return {}
    by_kind: dict[str, list[Any]] = {}
    for _step, kind, ident in batch:
        by_kind.setdefault(kind, []).append(ident)
    t = DeadLetterRow
    clauses: list[ColumnElement[bool]] = []
    if "posting" in by_kind:
        clauses.append(t.posting_id.in_(by_kind["posting"]))
    if "target" in by_kind:
        clauses.append(and_(t.posting_id.is_(None), t.target.in_(by_kind["target"])))
    if "organization" in by_kind:
        clauses.append(and_(t.posting_id.is_(None), t.target.is_(None),
                            t.organization_id.in_(by_kind["organization"])))
    if "record" in by_kind:
        clauses.append(and_(t.posting_id.is_(None), t.target.is_(None),
                            t.organization_id.is_(None),
                            t.source_id.in_([sid for _s, sid in by_kind["record"]])))
    steps = sorted({step for step, _k, _i in batch})
    found = session.execute(
        select(t.id, t.step, t.posting_id, t.target, t.organization_id, t.source, t.source_id)
        .where(t.resolved_at.is_(None), t.step.in_(steps), or_(*clauses))
        .order_by(t.id)
        .with_for_update()
    ).all()
    out: dict[Key, int] = {}
    for row in found:
        key = _row_key(row)
        if key in batch and key not in out:
            out[key] = row.id
    return out


def open_letters(
    session: Session,
    *,
    step: str | None = None,
    since: datetime | None = None,
    ids: Iterable[int] | None = None,
    limit: int | None = None,
) -> list[DeadLetterRow]:
    """Open letters, oldest first: of one step, written since a time, or these ids."""
    q = select(DeadLetterRow).where(DeadLetterRow.resolved_at.is_(None))
    if step:
        q = q.where(DeadLetterRow.step == step)
    if since is not None:
        q = q.where(DeadLetterRow.updated_at >= since)
    if ids is not None:
        q = q.where(DeadLetterRow.id.in_(list(ids)))
    q = q.order_by(DeadLetterRow.id)
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


def resolve(
    session: Session,
    *,
    resolution: str,
    resolved_by: str | None,
    ids: Iterable[int] | None = None,
    step: str | None = None,
) -> int:
    """Mark open letters resolved (by ids, or every open one of a step); return how many."""
    id_list = None if ids is None else list(ids)
    if not id_list and not step:
        raise ValueError("resolve needs letter ids or a step")
    q = update(DeadLetterRow).where(DeadLetterRow.resolved_at.is_(None))
    if id_list is not None:
        q = q.where(DeadLetterRow.id.in_(id_list))
    if step:
        q = q.where(DeadLetterRow.step == step)
    result = session.execute(
        q.values(resolved_at=func.now(), resolved_by_run=resolved_by, resolution=resolution)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_resolved(session: Session, *, older_than_days: int) -> int:
    """Delete letters resolved more than `older_than_days` ago (the retention); how many."""
    if older_than_days < 0:
        raise ValueError(f"older_than_days must be >= 0, got {older_than_days}")
    result = session.execute(
        delete(DeadLetterRow).where(
            DeadLetterRow.resolved_at < func.now() - func.make_interval(0, 0, 0, older_than_days)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RunCounts:
    """The open letters some runs wrote: per step, and how many postings they name."""

    by_step: dict[str, int]
    postings: int

    @property
    def total(self) -> int:
        return sum(self.by_step.values())


def run_counts(session: Session, run_ids: Sequence[str]) -> RunCounts:
    """Open letters last written by these flow runs (what the run's alert event reports)."""
    if not run_ids:
        return RunCounts({}, 0)
    t = DeadLetterRow
    where = and_(t.flow_run_id.in_(list(run_ids)), t.resolved_at.is_(None))
    by_step = {step: int(n) for step, n in session.execute(
        select(t.step, func.count()).where(where).group_by(t.step))}
    # Postings, and source records that never became one (a parse failure names no posting).
    postings = session.execute(
        select(func.count(func.distinct(t.posting_id))
               + func.count().filter(t.posting_id.is_(None), t.target.is_(None),
                                     t.organization_id.is_(None)))
        .where(where)
    ).scalar_one()
    return RunCounts(by_step, int(postings))


def settle_replay(
    session: Session, letter_ids: Sequence[int], *, started: datetime, run_id: str | None
) -> Counter[str]:
    """After a replay that began at `started` (database time): resolve what it fixed.

    A letter written again since then still fails (its `attempts` went up): it stays open. A
    posting published since then is resolved `replayed`; one that now fails at another step
    is resolved as superseded by that step's letter. A target or organization letter not
    written again is resolved `replayed` (its fetch or enrichment went through).
    """
    from sqlalchemy import text

    out: Counter[str] = Counter()
    rows = session.scalars(select(DeadLetterRow).where(DeadLetterRow.id.in_(list(letter_ids))))
    for row in rows:
        if row.resolved_at is not None:
            continue
        if row.updated_at >= started:
            out["still_failing"] += 1
            continue
        resolution: str | None = "replayed"
        if row.posting_id is not None:
            published = session.execute(text(
                "select 1 from postings where id = :id and step = 'publish' "
                "and updated_at >= :started"), {"id": row.posting_id, "started": started},
            ).first()
            if not published:
                newer = session.execute(
                    select(DeadLetterRow.id, DeadLetterRow.step).where(
                        DeadLetterRow.posting_id == row.posting_id,
                        DeadLetterRow.resolved_at.is_(None), DeadLetterRow.id != row.id,
                        DeadLetterRow.updated_at >= started,
                    ).order_by(DeadLetterRow.id.desc())
                ).first()
                resolution = (f"superseded by letter {newer.id} (step {newer.step})"
                              if newer else None)
        elif row.target is None and row.organization_id is None:
            resolution = None  # a source record that never became a posting: nothing ran
        if resolution is None:
            out["not_replayed"] += 1
            continue
        row.resolved_at = func.now()  # type: ignore[assignment]
        row.resolved_by_run = run_id
        row.resolution = resolution
        out["resolved" if resolution == "replayed" else "superseded"] += 1
    return out

"""The dead-letter table: what failed for good, with the step, the reason and the input."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from hirehound.limits import LimitExceeded, scrub_json, scrub_text
from hirehound.records import DeadLetter
from hirehound.storage.models import DeadLetter as DeadLetterRow

# A dead letter keeps the input to replay it, but never an unbounded payload.
MAX_PAYLOAD_CHARS = 200_000


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


def record(
    session: Session,
    letters: Sequence[DeadLetter],
    *,
    flow_name: str | None = None,
    flow_run_id: str | None = None,
    task_name: str | None = None,
    attempts: int = 1,
) -> int:
    """Insert dead letters; return how many."""
    if not letters:
        return 0
    rows = [
        {
            "flow_name": flow_name,
            "flow_run_id": flow_run_id,
            "task_name": task_name,
            "step": dl.step,
            "error_type": dl.error,
            "detail": scrub_text(dl.detail[:4000]),
            "source": scrub_text(dl.source) if dl.source else dl.source,
            "source_id": scrub_text(dl.source_id) if dl.source_id else dl.source_id,
            "posting_id": dl.posting_id,
            "target": scrub_text(dl.target) if dl.target else dl.target,
            "payload": _jsonable(dl.payload),
            "inputs": {"posting_ids": [dl.posting_id]} if dl.posting_id else None,
            "attempts": attempts,
        }
        for dl in letters
    ]
    session.execute(insert(DeadLetterRow), rows)
    return len(rows)

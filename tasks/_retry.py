"""The shared retry policy of every task that talks to the outside.

    @task(
        retries=3,
        retry_delay_seconds=backoff(2.0, 3),      # 2, 4, 8 s
        retry_jitter_factor=RETRY_JITTER,           # each delay spread by +-50 %
        retry_condition_fn=retry_unless_bad_data,   # SourceFormatError etc. fail at once
        on_failure=[dead_letter_on_failure("clean")],
    )
    def clean_chunk(posting_ids: list[int]) -> StepSummary: ...

Prefect 3.9 calls hooks as `hook(task, task_run, state)` *outside* the task's run context:
`TaskRun` has no `parameters` field and `TaskRunContext.get()` is None there. The hook
therefore finds the ids, in order: the run context (if a later Prefect version provides it),
the task-run engine that called the hook (it holds the resolved parameters), then a
`posting_ids` attribute on the raised exception (raise `ChunkFailed(ids, cause)` to be explicit).
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hirehound.errors import HirehoundError, is_retryable

__all__ = [
    "RETRY_JITTER",
    "ChunkFailed",
    "backoff",
    "dead_letter_on_failure",
    "failure_exception",
    "retry_unless_bad_data",
]

log = logging.getLogger(__name__)

# Prefect spreads each delay with a clamped Poisson draw: 0.5 gives delay * [0.5, 1.5].
RETRY_JITTER = 0.5
# Dead-letter `inputs` keep parameters small: long lists are cut to this many items.
_MAX_INPUT_ITEMS = 1000


def backoff(base: float = 2.0, retries: int = 3) -> list[float]:
    """Exponential delays for `retry_delay_seconds`: base, 2*base, 4*base, ..."""
    if base <= 0 or retries < 0:
        raise ValueError(f"backoff needs base > 0 and retries >= 0, got {base=}, {retries=}")
    return [base * 2**i for i in range(retries)]


class ChunkFailed(HirehoundError):
    """A whole chunk failed; carries the posting ids so the failure hook can dead-letter them."""

    def __init__(self, posting_ids: Iterable[int], cause: BaseException | str) -> None:
        self.posting_ids = [int(i) for i in posting_ids]
        self.cause = cause
        self.retryable = is_retryable(cause) if isinstance(cause, BaseException) else False
        reason = f"{type(cause).__name__}: {cause}" if isinstance(cause, BaseException) else cause
        super().__init__(f"chunk of {len(self.posting_ids)} postings failed: {reason}")


def failure_exception(state: Any) -> BaseException | None:
    """The exception behind a Failed/Crashed state, without raising it."""
    data = getattr(state, "data", None)
    if isinstance(data, BaseException):
        return data
    try:
        result = state.result(raise_on_failure=False)
    except Exception as exc:  # the result could not be read: report that instead
        return exc
    return result if isinstance(result, BaseException) else None


def retry_unless_bad_data(task: Any, task_run: Any, state: Any) -> bool:
    """`retry_condition_fn`: retry network trouble and unknown errors, never bad data."""
    exc = failure_exception(state)
    if exc is None:
        return True
    if isinstance(exc, ChunkFailed) and isinstance(exc.cause, BaseException):
        exc = exc.cause
    return is_retryable(exc)


def _engine_parameters(task_run: Any) -> dict[str, Any] | None:
    """Parameters of `task_run`, from the run context or the engine frame that runs the hook."""
    try:
        from prefect.context import TaskRunContext

        ctx = TaskRunContext.get()
        if ctx is not None and ctx.task_run.id == task_run.id:
            return dict(ctx.parameters)
    except Exception:  # pragma: no cover - prefect internals moved
        pass
    frame: Any = sys._getframe(1)
    for _ in range(12):  # the engine is 2-3 frames up; never walk far
        if frame is None:
            break
        engine = frame.f_locals.get("self")
        run = getattr(engine, "task_run", None)
        params = getattr(engine, "parameters", None)
        if run is not None and getattr(run, "id", None) == task_run.id and isinstance(params, dict):
            return dict(params)
        frame = frame.f_back
    return None


def _as_ids(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        return [int(value)] if value.isdigit() else []
    try:
        return [int(v) for v in value]
    except (TypeError, ValueError):
        return []


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe summary of the task inputs (long lists cut, objects as their repr)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            items = list(value)[:_MAX_INPUT_ITEMS]
            out[key] = [
                v if isinstance(v, (int, float, str, bool)) or v is None else repr(v)[:200]
                for v in items
            ]
            if len(value) > _MAX_INPUT_ITEMS:
                out[f"{key}__total"] = len(value)
        elif isinstance(value, (int, float, str, bool)) or value is None:
            out[key] = value if not isinstance(value, str) else value[:2000]
        elif isinstance(value, dict):
            out[key] = {str(k): repr(v)[:200] for k, v in list(value.items())[:50]}
        else:
            out[key] = repr(value)[:200]
    return out


def _flow_names(task_run: Any) -> tuple[str | None, str | None]:
    flow_run_id = str(task_run.flow_run_id) if getattr(task_run, "flow_run_id", None) else None
    flow_name = None
    try:
        from prefect.context import FlowRunContext

        ctx = FlowRunContext.get()
        if ctx is not None and ctx.flow is not None:
            flow_name = ctx.flow.name
    except Exception:  # pragma: no cover
        pass
    return flow_name, flow_run_id


def dead_letter_on_failure(step: str, *, ids_param: str = "posting_ids") -> Callable[..., None]:
    """An `on_failure` hook writing one `DeadLetter` row per posting id of the failed task.

    Ids come from the task parameter `ids_param` (a list of ids or one id), else from
    `posting_ids` on the exception; with none found, one row without a posting id is written
    so the failure is still on record.
    """

    def _hook(task: Any, task_run: Any, state: Any) -> None:
        params = _engine_parameters(task_run) or {}
        exc = failure_exception(state)
        ids = _as_ids(params.get(ids_param))
        if not ids and exc is not None:
            ids = _as_ids(getattr(exc, "posting_ids", None))
        cause = exc.cause if isinstance(exc, ChunkFailed) else exc
        if isinstance(cause, BaseException):
            error_type = type(cause).__name__
            detail = "".join(traceback.format_exception_only(type(cause), cause)).strip()
        else:
            error_type = "Failed"
            detail = str(getattr(state, "message", "") or cause or "task failed")
        flow_name, flow_run_id = _flow_names(task_run)
        write_dead_letters(
            step=step,
            posting_ids=ids,
            error_type=error_type,
            detail=detail[:4000],
            flow_name=flow_name,
            flow_run_id=flow_run_id,
            task_name=getattr(task, "name", None),
            inputs=_jsonable(params),
            attempts=int(getattr(task_run, "run_count", 0) or 1),
        )

    _hook.__name__ = f"dead_letter_on_failure[{step}]"
    return _hook


def write_dead_letters(
    *,
    step: str,
    posting_ids: list[int],
    error_type: str,
    detail: str,
    flow_name: str | None,
    flow_run_id: str | None,
    task_name: str | None,
    inputs: dict[str, Any],
    attempts: int,
) -> int:
    """Insert the dead-letter rows in one transaction; returns how many were written."""
    from hirehound.storage import db
    from hirehound.storage.models import DeadLetter

    rows = [
        DeadLetter(
            step=step,
            error_type=error_type,
            detail=detail,
            flow_name=flow_name,
            flow_run_id=flow_run_id,
            task_name=task_name,
            posting_id=pid,
            inputs=inputs,
            attempts=attempts,
        )
        for pid in (list[int | None](posting_ids) or [None])
    ]
    with db.transaction() as session:
        session.add_all(rows)
    log.warning(
        "dead-lettered %d row(s) for step %s after %d attempt(s): %s",
        len(rows),
        step,
        attempts,
        error_type,
    )
    return len(rows)

"""Glue every task shares: settings for this process, and run names for dead letters."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import OperationalError

from hirehound.settings import Settings
from hirehound.storage import db, dead_letters

log = logging.getLogger(__name__)


def run_names() -> dict[str, Any]:
    """Flow name, flow-run id and task name of the current run (for dead-letter rows)."""
    from prefect.context import FlowRunContext, TaskRunContext

    flow_ctx = FlowRunContext.get()
    task_ctx = TaskRunContext.get()
    return {
        "flow_name": flow_ctx.flow.name if flow_ctx and flow_ctx.flow else None,
        "flow_run_id": str(flow_ctx.flow_run.id) if flow_ctx and flow_ctx.flow_run else None,
        "task_name": task_ctx.task.name if task_ctx else None,
    }


def limit_exists(name: str) -> bool:
    """Whether the Prefect server has this global limit (`hirehound setup` creates them)."""
    return on_server(lambda client: client.read_global_concurrency_limit_by_name(name))


def on_server(read: Callable[[Any], Any]) -> bool:
    """Whether `read(client)` finds its object on the API this process talks to."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            read(client)
        except ObjectNotFound:
            return False
    return True


def settings() -> Settings:
    """The settings the flow configured this process with."""
    return db.settings()


# Two chunks in flight can lock the same rows in opposite orders (a cluster merge, a spam
# verdict spread over a cluster): PostgreSQL then aborts one transaction. Nothing was
# written, so running the step again is safe and almost always succeeds.
DEADLOCK_RETRIES = 4


def _transient(exc: OperationalError) -> bool:
    from psycopg import errors

    return isinstance(exc.orig, (errors.DeadlockDetected, errors.SerializationFailure))


def run_step(step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a core step in one transaction; its dead letters commit with its results."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with db.transaction() as session:
                result = step(session, *args, **kwargs)
                dead_letters.record(session, getattr(result, "dead", []), **run_names())
                return result
        except OperationalError as exc:
            if attempt == DEADLOCK_RETRIES or not _transient(exc):
                raise
            log.info("%s: %s, running it again", getattr(step, "__name__", step),
                     type(exc.orig).__name__)
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))
    raise AssertionError("unreachable")

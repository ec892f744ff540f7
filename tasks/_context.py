"""Glue every task shares: settings for this process, and run names for dead letters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hirehound.settings import Settings
from hirehound.storage import db, dead_letters


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


def settings() -> Settings:
    """The settings the flow configured this process with."""
    return db.settings()


def run_step(step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a core step in one transaction; its dead letters commit with its results."""
    with db.transaction() as session:
        result = step(session, *args, **kwargs)
        dead_letters.record(session, getattr(result, "dead", []), **run_names())
        return result

"""The work pool and its queues, one per concern."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deployments.setup._config import K8S_TEMPLATE, SetupConfig, SetupReport
from hirehound.errors import ConfigurationError


def _base_job_template(pool_type: str) -> dict[str, Any]:
    if pool_type == "kubernetes":
        # From a checkout (ROOT) or, for an installed package, the repository in the cwd.
        for path in (K8S_TEMPLATE, Path.cwd() / "k8s" / "base-job-template.json"):
            if path.is_file():
                return json.loads(path.read_text())
        raise ConfigurationError(
            f"Kubernetes base job template not found at {K8S_TEMPLATE}: run setup from the "
            "repository root"
        )
    from prefect.workers.process import ProcessWorker

    return ProcessWorker.get_default_base_job_template()


def work_pool(client: Any, config: SetupConfig, report: SetupReport, dry_run: bool) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    name = config.work_pool
    description = "Hirehound: ingestion, enrichment and maintenance (one queue per concern)"
    template = _base_job_template(config.pool_type)
    try:
        pool = client.read_work_pool(name)
    except ObjectNotFound:
        if not dry_run:
            client.create_work_pool(
                WorkPoolCreate(
                    name=name,
                    type=config.pool_type,
                    description=description,
                    base_job_template=template,
                )
            )
        report.add("work pool", name, "created", config.pool_type)
        return
    if pool.type != config.pool_type:
        # The type of a pool cannot change; say so rather than silently doing nothing.
        report.add("work pool", name, "skipped", f"exists with type {pool.type!r}")
        return
    changes: dict[str, Any] = {}
    if pool.description != description:
        changes["description"] = description
    # Only our own (kubernetes) template is enforced; a process pool's template may carry
    # operator edits (env, working dir) made in the UI.
    if config.pool_type == "kubernetes" and pool.base_job_template != template:
        changes["base_job_template"] = template
    if changes:
        if not dry_run:
            client.update_work_pool(name, WorkPoolUpdate(**changes))
        report.add("work pool", name, "updated", ", ".join(sorted(changes)))
    else:
        report.add("work pool", name, "unchanged")


def queues(client: Any, config: SetupConfig, report: SetupReport, dry_run: bool) -> None:
    from prefect.exceptions import ObjectNotFound

    for priority, (name, limit) in enumerate(config.queues.items(), start=1):
        description = f"Hirehound {name} flow runs (at most {limit} at once)"
        try:
            queue = client.read_work_queue_by_name(name, work_pool_name=config.work_pool)
        except ObjectNotFound:
            if not dry_run:
                client.create_work_queue(
                    name=name,
                    description=description,
                    concurrency_limit=limit,
                    priority=priority,
                    work_pool_name=config.work_pool,
                )
            report.add("work queue", name, "created", f"limit {limit}, priority {priority}")
            continue
        changes: dict[str, Any] = {}
        if queue.concurrency_limit != limit:
            changes["concurrency_limit"] = limit
        if queue.priority != priority:
            changes["priority"] = priority
        if queue.description != description:
            changes["description"] = description
        if changes:
            if not dry_run:
                client.update_work_queue(queue.id, **changes)
            report.add("work queue", name, "updated", describe(changes))
        else:
            report.add("work queue", name, "unchanged", f"limit {limit}")


def describe(changes: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} -> {v}" for k, v in sorted(changes.items()))

"""Global concurrency limits (one per concern) and rate limits (slots that decay)."""

from __future__ import annotations

from typing import Any

from deployments.setup._config import SetupConfig, SetupReport
from deployments.setup._pool import describe


def limits(client: Any, config: SetupConfig, report: SetupReport, dry_run: bool) -> None:
    desired: dict[str, tuple[int, float]] = {n: (lim, 0.0) for n, lim in config.queues.items()}
    desired |= {n: (r.allowed, r.slot_decay_per_second) for n, r in config.rate_limits.items()}
    for name, (limit, decay) in desired.items():
        _limit(client, report, dry_run, name, limit, decay)


def _limit(
    client: Any, report: SetupReport, dry_run: bool, name: str, limit: int, decay: float
) -> None:
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )
    from prefect.exceptions import ObjectNotFound

    kind = "rate limit" if decay else "concurrency limit"
    try:
        current = client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        if not dry_run:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(
                    name=name, limit=limit, active=True, slot_decay_per_second=decay
                )
            )
        report.add(kind, name, "created", _limit_text(limit, decay))
        return
    changes: dict[str, Any] = {}
    if current.limit != limit:
        changes["limit"] = limit
    if abs((current.slot_decay_per_second or 0.0) - decay) > 1e-9:
        changes["slot_decay_per_second"] = decay
    if not current.active:
        changes["active"] = True
    if changes:
        if not dry_run:
            client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(**changes))
        report.add(kind, name, "updated", describe(changes))
    else:
        report.add(kind, name, "unchanged", _limit_text(limit, decay))


def _limit_text(limit: int, decay: float) -> str:
    return f"{limit} per {limit / decay:.0f}s" if decay else f"{limit} slots"

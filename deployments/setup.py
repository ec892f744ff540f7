"""`hirehound setup`: create or fix everything the deployments need on a Prefect server.

Idempotent: each object is read first and only created or updated when it differs from the
desired state; the report says what was created, updated, left alone or skipped.

- one work pool (`hirehound`, process or kubernetes) with one queue per concern,
- global concurrency limits with the same names (used inside tasks), and rate limits
  (`scraping-rate`, `enrichment-rate`: a limit that decays, see `RateLimit`),
- block types and documents (database, embedding provider, alert webhook, secrets),
- automations: alert on Failed/Crashed flow runs, and the stuck-run rescue.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hirehound import concerns
from hirehound.concerns import WORK_POOL
from hirehound.errors import ConfigurationError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
K8S_TEMPLATE = ROOT / "k8s" / "base-job-template.json"

# Queue (and global concurrency limit) per concern: max concurrent flow runs / task slots.
# The names and sizes live in hirehound/concerns.py, which the tasks that take them import.
QUEUES: dict[str, int] = dict(concerns.QUEUES)


@dataclass(frozen=True)
class RateLimit:
    """`allowed` acquisitions per `period_s`, as a global concurrency limit whose slots decay.

    `rate_limit(name)` takes a slot that is never released; slots free up at
    `allowed / period_s` per second. That is a token bucket: a burst of up to `allowed` passes
    at once, then the sustained rate is `allowed` per period (so over any t seconds at most
    `allowed + t * allowed / period_s` acquisitions).
    """

    allowed: int
    period_s: float = 60.0

    @property
    def slot_decay_per_second(self) -> float:
        return self.allowed / self.period_s


RATE_LIMITS: dict[str, RateLimit] = {
    name: RateLimit(allowed, period) for name, (allowed, period) in concerns.RATE_LIMITS.items()
}

ALERT_AUTOMATION = "hirehound-alert-on-failure"
CRASH_AUTOMATION = "hirehound-crash-stuck-runs"
RETRY_AUTOMATION = "hirehound-retry-rescued-runs"
# Prefix of the state message the rescue sets; the retry automation matches on it.
RESCUE_MESSAGE = "Hirehound rescue"

Action = Literal["created", "updated", "unchanged", "skipped"]


@dataclass
class SetupConfig:
    """What `setup` makes; `from_env()` reads the `HIREHOUND_*` variables an operator sets."""

    work_pool: str = WORK_POOL
    pool_type: Literal["process", "kubernetes"] = "process"
    queues: Mapping[str, int] = field(default_factory=lambda: dict(QUEUES))
    rate_limits: Mapping[str, RateLimit] = field(default_factory=lambda: dict(RATE_LIMITS))
    alert_webhook_url: str | None = None
    # Allow the webhook to reach private/loopback addresses (an on-prem alert relay, tests).
    alert_allow_private: bool = False
    # Values for the `hirehound` HirehoundSettings block; None keeps what the block holds.
    database_url: str | None = None
    embedding: Mapping[str, Any] | None = None  # embedding_* / openai_* fields of the block
    secrets: Mapping[str, str] = field(default_factory=dict)
    # Flow runs send a heartbeat every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (>= 30, set
    # on the workers). A run silent for `stuck_after_s` is marked Crashed, then rescheduled
    # while its run count is at most `rescue_retries`.
    heartbeat_s: int = 60
    stuck_after_s: int = 300
    rescue_retries: int = 2

    def __post_init__(self) -> None:
        # Heartbeats are sent from a thread and arrive late under load: demand a margin of
        # half an interval at least (the default is 5x) so a healthy long run is never killed.
        if self.stuck_after_s < 1.5 * self.heartbeat_s:
            raise ConfigurationError(
                f"stuck-run window {self.stuck_after_s}s must be at least 1.5x the heartbeat "
                f"interval {self.heartbeat_s}s, or healthy runs would be marked Crashed"
            )
        if self.pool_type not in ("process", "kubernetes"):
            raise ConfigurationError(f"unknown work pool type {self.pool_type!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SetupConfig:
        env = os.environ if env is None else env
        from blocks import SECRET_BLOCKS

        def num(name: str, default: int) -> int:
            raw = env.get(name)
            try:
                return int(raw) if raw else default
            except ValueError:
                raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None

        embedding = None
        if env.get("HIREHOUND_EMBEDDING_PROVIDER"):
            embedding = {
                "embedding_provider": env["HIREHOUND_EMBEDDING_PROVIDER"],
                "embedding_dim": num("HIREHOUND_EMBEDDING_DIM", 256),
                "openai_base_url": env.get("HIREHOUND_OPENAI_BASE_URL") or None,
                "openai_api_key": env.get("HIREHOUND_OPENAI_API_KEY") or None,
                "openai_model": env.get("HIREHOUND_OPENAI_MODEL") or None,
            }
        heartbeat = num(
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", num("PREFECT_RUNNER_HEARTBEAT_FREQUENCY", 60)
        )
        return cls(
            work_pool=env.get("HIREHOUND_WORK_POOL") or WORK_POOL,
            pool_type=env.get("HIREHOUND_WORK_POOL_TYPE") or "process",  # type: ignore[arg-type]
            alert_webhook_url=env.get("HIREHOUND_ALERT_WEBHOOK_URL") or None,
            alert_allow_private=env.get("HIREHOUND_ALERT_ALLOW_PRIVATE", "").lower()
            in ("1", "true", "yes"),
            database_url=env.get("HIREHOUND_DATABASE_URL") or None,
            embedding=embedding,
            secrets={name: env[var] for name, var in SECRET_BLOCKS.items() if env.get(var)},
            heartbeat_s=heartbeat,
            stuck_after_s=num("HIREHOUND_STUCK_AFTER_SECONDS", max(300, 3 * heartbeat)),
        )


@dataclass
class SetupReport:
    """One line per object: kind, name, what happened, and why."""

    dry_run: bool = False
    items: list[tuple[str, str, Action, str]] = field(default_factory=list)

    def add(self, kind: str, name: str, action: Action, detail: str = "") -> None:
        self.items.append((kind, name, action, detail))
        log.info("%s %s: %s %s", kind, name, action, detail)

    def count(self, action: Action) -> int:
        return sum(1 for item in self.items if item[2] == action)

    @property
    def changed(self) -> bool:
        return any(item[2] in ("created", "updated") for item in self.items)

    def render(self) -> str:
        prefix = "would be " if self.dry_run else ""
        width = max((len(f"{k} {n}") for k, n, _, _ in self.items), default=10)
        lines = [
            f"{f'{kind} {name}':<{width}}  {prefix if a in ('created', 'updated') else ''}{a}"
            + (f" ({detail})" if detail else "")
            for kind, name, a, detail in self.items
        ]
        lines.append(
            f"{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('skipped')} skipped"
            + (" (dry run: nothing written)" if self.dry_run else "")
        )
        return "\n".join(lines)


def setup(*, dry_run: bool = False, config: SetupConfig | None = None) -> SetupReport:
    """Bring the Prefect server at PREFECT_API_URL to the desired state; see the module doc."""
    from prefect.client.orchestration import get_client

    config = config or SetupConfig.from_env()
    report = SetupReport(dry_run=dry_run)
    with get_client(sync_client=True) as client:
        _work_pool(client, config, report, dry_run)
        _queues(client, config, report, dry_run)
        _limits(client, config, report, dry_run)
        alert_block_id = _blocks(client, config, report, dry_run)
        _automations(client, config, report, dry_run, alert_block_id)
    return report


# --- work pool and queues ---------------------------------------------------------------------


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


def _work_pool(client: Any, config: SetupConfig, report: SetupReport, dry_run: bool) -> None:
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


def _queues(client: Any, config: SetupConfig, report: SetupReport, dry_run: bool) -> None:
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
            report.add("work queue", name, "updated", _describe(changes))
        else:
            report.add("work queue", name, "unchanged", f"limit {limit}")


# --- global concurrency and rate limits -------------------------------------------------------


def _limits(client: Any, config: SetupConfig, report: SetupReport, dry_run: bool) -> None:
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
        report.add(kind, name, "updated", _describe(changes))
    else:
        report.add(kind, name, "unchanged", _limit_text(limit, decay))


def _limit_text(limit: int, decay: float) -> str:
    return f"{limit} per {limit / decay:.0f}s" if decay else f"{limit} slots"


def _describe(changes: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} -> {v}" for k, v in sorted(changes.items()))


# --- blocks -----------------------------------------------------------------------------------


def _blocks(client: Any, config: SetupConfig, report: SetupReport, dry_run: bool) -> Any:
    """Register block types, create/fix documents; return the alert block's document id."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.blocks.system import Secret
    from prefect.exceptions import ObjectNotFound

    from blocks import ALERT_BLOCK, SETTINGS_BLOCK, HirehoundSettings

    for cls in (HirehoundSettings, CustomWebhookNotificationBlock, Secret):
        slug = cls.get_block_type_slug()
        try:
            client.read_block_schema_by_checksum(
                checksum=cls._calculate_schema_checksum(), version=cls.get_block_schema_version()
            )
            client.read_block_type_by_slug(slug)
            report.add("block type", slug, "unchanged")
        except ObjectNotFound:
            if not dry_run:
                cls.register_type_and_schema()
            report.add("block type", slug, "created")

    wanted: dict[str, Any] = {}
    if config.database_url:
        wanted["database_url"] = config.database_url
    wanted |= {k: v for k, v in (config.embedding or {}).items() if v is not None}
    _document(client, report, dry_run, HirehoundSettings, SETTINGS_BLOCK, wanted or None, {})
    alert_wanted = None
    if config.alert_webhook_url:
        alert_wanted = {
            "name": ALERT_BLOCK,
            "url": config.alert_webhook_url,
            "method": "POST",
            "json_data": {"subject": "{{subject}}", "body": "{{body}}", "source": "hirehound"},
            "allow_private_urls": config.alert_allow_private,
        }
    alert_id = _document(
        client, report, dry_run, CustomWebhookNotificationBlock, ALERT_BLOCK, alert_wanted, None
    )
    for name, value in config.secrets.items():
        _document(client, report, dry_run, Secret, name, {"value": value}, None)
    from blocks import SECRET_BLOCKS

    for name, var in SECRET_BLOCKS.items():
        if name not in config.secrets:
            exists = _read_document(client, Secret, name) is not None
            report.add(
                "secret",
                name,
                "unchanged" if exists else "skipped",
                "" if exists else f"set {var} to create it",
            )
    return alert_id


def _read_document(client: Any, cls: Any, name: str) -> Any:
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_block_document_by_name(
            name=name, block_type_slug=cls.get_block_type_slug(), include_secrets=True
        )
    except ObjectNotFound:
        return None


def _plain(value: Any) -> Any:
    if hasattr(value, "get_secret_value"):
        return _plain(value.get_secret_value())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _document(
    client: Any,
    report: SetupReport,
    dry_run: bool,
    cls: Any,
    name: str,
    wanted: Mapping[str, Any] | None,
    default: Mapping[str, Any] | None,
) -> Any:
    """Create/fix one block document. `wanted` None: keep what exists, else create `default`
    (None: skip). Returns the document id (None when absent or in a dry run)."""
    kind = f"block {cls.get_block_type_slug()}"
    existing = _read_document(client, cls, name)
    if existing is None:
        data = wanted if wanted is not None else default
        if data is None:
            report.add(kind, name, "skipped", "not configured")
            return None
        doc_id = None if dry_run else cls(**data).save(name, overwrite=False)
        report.add(kind, name, "created")
        return doc_id
    if wanted is None:
        report.add(kind, name, "unchanged", "kept as configured")
        return existing.id
    current = _plain(existing.data)
    differs = sorted(k for k, v in wanted.items() if _plain(current.get(k)) != _plain(v))
    if not differs:
        report.add(kind, name, "unchanged")
        return existing.id
    doc_id = existing.id
    if not dry_run:
        merged = {**current, **wanted}
        doc_id = cls(**merged).save(name, overwrite=True)
    report.add(kind, name, "updated", ", ".join(differs))
    return doc_id


# --- automations ------------------------------------------------------------------------------

ALERT_SUBJECT = (
    "{% if flow_run.work_queue_name == 'critical' %}[CRITICAL] {% endif %}"
    "Hirehound flow run {{ flow_run.name }} {{ flow_run.state.name }}"
)
ALERT_BODY = """severity: {% if flow_run.work_queue_name == 'critical' %}critical\
{% else %}error{% endif %}
flow: {{ flow.name }}
flow run: {{ flow_run.name }}
flow run id: {{ flow_run.id }}
state: {{ flow_run.state.name }}
error: {{ flow_run.state.message }}
work queue: {{ flow_run.work_queue_name }}
parameters: {{ flow_run.parameters }}
url: {{ flow_run|ui_url }}"""


def desired_automations(config: SetupConfig, alert_block_id: Any) -> list[Any]:
    """The automations setup maintains (the alert one only when a webhook block exists)."""
    from datetime import timedelta

    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState, SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    any_run: dict[str, str | list[str]] = {"prefect.resource.id": "prefect.flow-run.*"}
    out: list[Any] = []
    if alert_block_id is not None:
        out.append(
            AutomationCore(
                name=ALERT_AUTOMATION,
                description="Post every Failed or Crashed flow run to the alert webhook; runs "
                "from the critical queue are marked [CRITICAL].",
                trigger=EventTrigger(
                    expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
                    match=any_run,
                    for_each={"prefect.resource.id"},
                    posture=Posture.Reactive,
                    threshold=1,
                    within=timedelta(0),
                ),
                actions=[
                    SendNotification(
                        block_document_id=alert_block_id, subject=ALERT_SUBJECT, body=ALERT_BODY
                    )
                ],
            )
        )
    window = config.stuck_after_s
    out.append(
        AutomationCore(
            name=CRASH_AUTOMATION,
            description=f"A running flow run with no heartbeat for {window}s (heartbeat every "
            f"{config.heartbeat_s}s) lost its worker: mark it Crashed.",
            trigger=EventTrigger(
                after={"prefect.flow-run.heartbeat"},
                expect={
                    "prefect.flow-run.heartbeat",
                    "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed",
                    "prefect.flow-run.Paused",
                    "prefect.flow-run.Suspended",
                },
                match=any_run,
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(seconds=window),
            ),
            actions=[
                ChangeFlowRunState(
                    state=StateType.CRASHED,
                    message=f"{RESCUE_MESSAGE}: no heartbeat for {window}s; the worker or "
                    "machine running it is gone",
                )
            ],
        )
    )
    if config.rescue_retries > 0:
        counts = [str(n) for n in range(1, config.rescue_retries + 1)]
        out.append(
            AutomationCore(
                name=RETRY_AUTOMATION,
                description="Reschedule a run the rescue marked Crashed, at most "
                f"{config.rescue_retries} times (by its run count).",
                trigger=EventTrigger(
                    expect={"prefect.flow-run.Crashed"},
                    match={
                        **any_run,
                        "prefect.state-message": f"{RESCUE_MESSAGE}:*",
                        "prefect.run-count": counts,
                    },
                    for_each={"prefect.resource.id"},
                    posture=Posture.Reactive,
                    threshold=1,
                    within=timedelta(0),
                ),
                actions=[
                    ChangeFlowRunState(
                        state=StateType.SCHEDULED,
                        name="AwaitingRetry",
                        message=f"{RESCUE_MESSAGE}: retrying after missed heartbeats",
                        force=True,
                    )
                ],
            )
        )
    return out


def _automation_key(automation: Any) -> str:
    from prefect.events.schemas.automations import AutomationCore

    fields = set(AutomationCore.model_fields) - {"owner_resource"}
    data = automation.model_dump(mode="json", include=fields)
    return json.dumps(_canonical(data), sort_keys=True, default=str)


def _canonical(value: Any) -> Any:
    """Sets come back as lists in hash order (random per process): sort them."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if all(isinstance(v, str) for v in items):
            return sorted(items)
        return items
    return value


def _automations(
    client: Any, config: SetupConfig, report: SetupReport, dry_run: bool, alert_block_id: Any
) -> None:
    from blocks import ALERT_BLOCK

    desired = desired_automations(config, alert_block_id)
    if alert_block_id is None and dry_run and config.alert_webhook_url:
        # The block it would point at is only created for real, so a dry run has no id.
        report.add("automation", ALERT_AUTOMATION, "created", f"with the {ALERT_BLOCK!r} block")
    elif alert_block_id is None:
        report.add(
            "automation",
            ALERT_AUTOMATION,
            "skipped",
            f"no {ALERT_BLOCK!r} webhook block (set HIREHOUND_ALERT_WEBHOOK_URL)",
        )
    for automation in desired:
        existing = client.read_automations_by_name(automation.name)
        if not existing:
            if not dry_run:
                client.create_automation(automation)
            report.add("automation", automation.name, "created")
            continue
        first, extra = existing[0], existing[1:]
        if _automation_key(first) == _automation_key(automation) and not extra:
            report.add("automation", automation.name, "unchanged")
            continue
        if not dry_run:
            client.update_automation(first.id, automation)
            for dup in extra:  # two automations with one name would both fire
                client.delete_automation(dup.id)
        report.add("automation", automation.name, "updated")


def main(argv: list[str] | None = None, *, echo: Callable[[str], None] = print) -> int:
    """`python -m deployments.setup [--dry-run]`: apply (or preview) and print the report."""
    import argparse

    parser = argparse.ArgumentParser(prog="hirehound setup", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="show what would change")
    args = parser.parse_args(argv)
    try:
        report = setup(dry_run=args.dry_run)
    except ConfigurationError as exc:
        echo(f"error: {exc}")
        return 2
    echo(report.render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

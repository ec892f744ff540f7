"""Automations: alert on failed runs, mark silent runs Crashed, retry rescued runs."""

from __future__ import annotations

import json
from typing import Any

from deployments.setup._config import (
    ALERT_AUTOMATION,
    CRASH_AUTOMATION,
    RESCUE_MESSAGE,
    RETRY_AUTOMATION,
    SetupConfig,
    SetupReport,
)

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


def automations(
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

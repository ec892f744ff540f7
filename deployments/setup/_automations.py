"""Automations: alert on failed runs and on runs that dead-letter much (or anything on the
critical queue), mark silent runs Crashed, retry rescued runs."""

from __future__ import annotations

import json
from typing import Any

from deployments.setup._config import (
    ALERT_AUTOMATION,
    CRASH_AUTOMATION,
    CRITICAL_DEAD_LETTER_AUTOMATION,
    DEAD_LETTER_SHARE_AUTOMATION,
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

DEAD_LETTER_SUBJECT = (
    "{% if event.payload.work_queue == 'critical' %}[CRITICAL] {% endif %}"
    "Hirehound flow run {{ event.resource.name }} dead-lettered "
    "{{ event.payload.dead_lettered_postings }} of {{ event.payload.postings }} postings"
)
DEAD_LETTER_BODY = """severity: {% if event.payload.work_queue == 'critical' %}critical\
{% else %}warning{% endif %}
flow: {{ event.payload.flow_name }}
flow run: {{ event.resource.name }}
flow run id: {{ event.resource.id }}
dead-lettered postings: {{ event.payload.dead_lettered_postings }} of \
{{ event.payload.postings }} ({{ event.resource['hirehound.dead-letter-share-pct'] }}%)
dead letters by step: {{ event.payload.by_step }}
work queue: {{ event.payload.work_queue }}
see: hirehound dead-letters; fix the cause, then hirehound dead-letters replay"""


def share_percents(share: float) -> list[str]:
    """The share labels (whole percents, rounded up by the emitter) at or over `share`."""
    import math

    return [str(p) for p in range(max(1, math.ceil(round(share * 100, 6))), 101)]


def _dead_letter_alerts(config: SetupConfig, alert_block_id: Any) -> list[Any]:
    """Alert on a run whose dead letters reach `dead_letter_share` of its postings, and on any
    dead letter written by a run from the critical queue (the seed's rule)."""
    from datetime import timedelta

    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    from hirehound.concerns import (
        CRITICAL,
        DEAD_LETTER_SHARE_LABEL,
        DEAD_LETTERS_EVENT,
        WORK_QUEUE_LABEL,
    )

    def alert(name: str, description: str, match: dict[str, Any]) -> Any:
        return AutomationCore(
            name=name,
            description=description,
            trigger=EventTrigger(
                expect={DEAD_LETTERS_EVENT},
                match={"prefect.resource.id": "prefect.flow-run.*", **match},
                for_each={"prefect.resource.id"},
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(0),
            ),
            actions=[SendNotification(block_document_id=alert_block_id,
                                      subject=DEAD_LETTER_SUBJECT, body=DEAD_LETTER_BODY)],
        )

    return [
        alert(DEAD_LETTER_SHARE_AUTOMATION,
              f"A flow run dead-lettered {config.dead_letter_share:.0%} or more of its postings "
              "(HIREHOUND_ALERT_DEAD_LETTER_SHARE).",
              {DEAD_LETTER_SHARE_LABEL: share_percents(config.dead_letter_share)}),
        alert(CRITICAL_DEAD_LETTER_AUTOMATION,
              "A flow run from the critical queue wrote a dead letter.",
              {WORK_QUEUE_LABEL: CRITICAL}),
    ]


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
        out.extend(_dead_letter_alerts(config, alert_block_id))
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
    alerts = (ALERT_AUTOMATION, DEAD_LETTER_SHARE_AUTOMATION, CRITICAL_DEAD_LETTER_AUTOMATION)
    for name in alerts if alert_block_id is None else ():
        if dry_run and config.alert_webhook_url:
            # The block it would point at is only created for real, so a dry run has no id.
            report.add("automation", name, "created", f"with the {ALERT_BLOCK!r} block")
        else:
            report.add("automation", name, "skipped",
                       f"no {ALERT_BLOCK!r} webhook block (set HIREHOUND_ALERT_WEBHOOK_URL)")
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

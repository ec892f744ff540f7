"""`hirehound setup --dry-run` says what it would do, and writes nothing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_dry_run_with_a_webhook_would_create_the_alert(prefect_harness: None) -> None:
    from prefect.client.orchestration import get_client

    from deployments.setup import ALERT_AUTOMATION, SetupConfig, setup

    config = SetupConfig(alert_webhook_url="https://hooks.example.com/hirehound")
    report = setup(dry_run=True, config=config)
    actions = {(kind, name): action for kind, name, action, _ in report.items}
    assert actions[("automation", ALERT_AUTOMATION)] == "created", report.render()
    with get_client(sync_client=True) as client:
        assert not client.read_automations_by_name(ALERT_AUTOMATION)  # nothing written

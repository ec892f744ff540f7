"""Alerts beyond failed runs, against a real `prefect server` and a real webhook listener.

`hirehound setup` creates the dead-letter automations with the alert webhook block; a real
ingest run (in this process, reporting to that server) dead-letters half of its postings
through a fault in the quality step, emits `hirehound.dead-letters.recorded`, and the share
automation posts to the listener. A run from the critical queue alerts on any letter.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hirehound.settings import Settings
from tests.integration.test_dead_letter_replay import broken  # noqa: F401 (fixture)
from tests.integration.test_ingest_flow import _generic, _write_jsonl
from tests.support.httpserver import Request, Response, serve
from tests.support.prefect_server import Server, drain_clients, start_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[str, list[Request]]]:
    received: list[Request] = []

    def handler(req: Request) -> Response:
        received.append(req)
        return Response(200, b"{}")

    with serve(handler) as url:
        yield f"{url}/alerts", received


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sink: tuple[str, list[Request]]
) -> Iterator[Server]:
    from deployments.setup import (
        CRITICAL_DEAD_LETTER_AUTOMATION,
        DEAD_LETTER_SHARE_AUTOMATION,
        SetupConfig,
        setup,
    )

    with start_server(tmp_path_factory.mktemp("prefect-alerts")) as server:
        # This process's event and log workers are singletons bound to the API they first
        # saw (the session's test harness, when a test used it): restart them on this one.
        drain_clients()
        report = setup(config=SetupConfig(alert_webhook_url=sink[0], alert_allow_private=True,
                                          dead_letter_share=0.5))
        made = {(name, action) for kind, name, action, _ in report.items if kind == "automation"}
        assert (DEAD_LETTER_SHARE_AUTOMATION, "created") in made, report.render()
        assert (CRITICAL_DEAD_LETTER_AUTOMATION, "created") in made, report.render()
        yield server


def _wait_for(received: list[Request], needle: str, timeout: float = 45) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for r in received:
            if needle.encode() in r.body:
                return dict(json.loads(r.body))
        time.sleep(0.3)
    raise AssertionError(f"no alert with {needle!r}: {[r.body[:200] for r in received]}")


def test_a_run_that_dead_letters_half_its_postings_alerts(
    server: Server, clean_db: Settings, broken: set[str],  # noqa: F811
    sink: tuple[str, list[Request]], tmp_path: Path,
) -> None:
    from flows.ingest import ingest_postings

    broken.update({"Broken One", "Broken Two"})
    records = [
        _generic(source_id=str(i), url=f"https://jobs.example.com/{i}", title=title)
        for i, title in enumerate(["Backend Engineer", "Data Analyst", "Broken One",
                                   "Broken Two"])
    ]
    state = ingest_postings(targets=[_write_jsonl(tmp_path / "h.jsonl.gz", records)],
                            return_state=True)
    run_id = state.state_details.flow_run_id
    finished = time.monotonic()
    alert = _wait_for(sink[1], str(run_id))
    print(f"\n[alerts] share alert {time.monotonic() - finished:.1f}s after the run")
    assert "dead-lettered 2 of 4 postings" in alert["subject"]
    assert not alert["subject"].startswith("[CRITICAL]")
    assert "(50%)" in alert["body"] and "quality" in alert["body"]


def test_shares_under_the_threshold_stay_quiet_and_critical_runs_always_alert(
    server: Server, sink: tuple[str, list[Request]]
) -> None:
    from prefect.events import emit_event

    from hirehound.concerns import DEAD_LETTER_SHARE_LABEL, DEAD_LETTERS_EVENT, WORK_QUEUE_LABEL

    quiet, critical = uuid.uuid4(), uuid.uuid4()
    for run, pct, queue in ((quiet, 49, "processing"), (critical, 1, "critical")):
        emit_event(
            event=DEAD_LETTERS_EVENT,
            resource={"prefect.resource.id": f"prefect.flow-run.{run}",
                      "prefect.resource.name": f"run-{run}", DEAD_LETTER_SHARE_LABEL: str(pct),
                      WORK_QUEUE_LABEL: queue},
            payload={"by_step": {"normalize": 1}, "dead_letters": 1,
                     "dead_lettered_postings": 1, "postings": 100 // pct, "share": pct / 100,
                     "work_queue": queue, "flow_name": "ingest-postings"},
        )
    drain_clients()
    alert = _wait_for(sink[1], str(critical))
    assert alert["subject"].startswith("[CRITICAL]") and "severity: critical" in alert["body"]
    time.sleep(3)  # events are handled in order: the quiet one had its chance
    assert not any(str(quiet).encode() in r.body for r in sink[1])

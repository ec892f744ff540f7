"""Timeouts: configurable by environment, and a timed-out task retries like a failure.

The task here uses the chunk stages' own options (`tasks.ingest._CHUNK`: retries, the retry
condition, the timeout) with a 1 s timeout, and runs in a worker thread as chunk stages do.
Its first attempt hangs (a loop of short sleeps, as Python code a thread timeout interrupts);
Prefect stops it with TimeoutError, the retry condition lets it retry, the run completes.
"""

from __future__ import annotations

import contextvars
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_timeouts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from hirehound.settings import Timeouts

    assert Timeouts().chunk_stage_s == 600
    monkeypatch.setenv("HIREHOUND_TIMEOUT_CHUNK_STAGE_S", "42")
    assert Timeouts().chunk_stage_s == 42


def test_every_flow_and_task_has_a_timeout() -> None:
    from prefect import Flow
    from prefect.tasks import Task

    import flows.crawl
    import flows.dead_letters
    import flows.enrich
    import flows.ingest
    import flows.maintenance
    import flows.reprocess
    import tasks.crawl
    import tasks.enrich
    import tasks.ingest
    import tasks.maintenance

    modules = [flows.crawl, flows.dead_letters, flows.enrich, flows.ingest, flows.maintenance,
               flows.reprocess, tasks.crawl, tasks.enrich, tasks.ingest, tasks.maintenance]
    found = {f"{m.__name__}.{name}": obj.timeout_seconds for m in modules
             for name, obj in vars(m).items()
             if isinstance(obj, (Flow, Task)) and obj.__module__ == m.__name__}
    assert len(found) >= 25, found
    assert all(found.values()), [name for name, t in found.items() if not t]


def test_a_timed_out_task_is_retried_and_its_run_completes(prefect_harness: None) -> None:
    from prefect import flow, task
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from tasks.ingest import _CHUNK

    calls: list[float] = []

    @task(**{**_CHUNK, "timeout_seconds": 1.0, "retry_delay_seconds": 0.1})
    def stage(posting_ids: list[int]) -> int:
        calls.append(time.monotonic())
        if len(calls) == 1:  # hangs the first time: 20 s unless stopped
            for _ in range(400):
                time.sleep(0.05)
        return len(posting_ids)

    @flow
    def tiny() -> int:
        # In a worker thread with the run's context, as run_fetches runs chunk stages.
        with ThreadPoolExecutor(max_workers=1) as pool:
            ctx = contextvars.copy_context()
            return int(pool.submit(ctx.run, stage, [1, 2, 3]).result())

    started = time.monotonic()
    state: Any = tiny(return_state=True)
    assert state.is_completed() and state.result() == 3
    assert len(calls) == 2 and calls[1] - calls[0] < 6, calls
    assert time.monotonic() - started < 15
    with get_client(sync_client=True) as client:
        (run,) = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
        history = [s.name for s in client.read_task_run_states(run.id)]
    assert run.run_count == 2 and history[-1] == "Completed", history
    assert "AwaitingRetry" in history or "Retrying" in history, history

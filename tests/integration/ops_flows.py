"""Tiny flows for the operations tests (deployed from a test prefect.yaml, run by a worker)."""

from __future__ import annotations

import time

from prefect import flow, task
from prefect.concurrency.sync import rate_limit
from prefect.task_runners import ThreadPoolTaskRunner


@flow
def nap(seconds: float = 1.0) -> float:
    """Sleep; the test reads start/end times from the API to check serialization."""
    time.sleep(seconds)
    return seconds


@flow
def explode(message: str = "boom") -> None:
    """Fail on purpose: the alert must carry the run's name and this message."""
    raise RuntimeError(message)


@task
def _acquire(limit_name: str) -> float:
    rate_limit(limit_name)
    return time.time()


@flow(task_runner=ThreadPoolTaskRunner(max_workers=16))
def burst(n: int = 12, limit_name: str = "test-rate") -> list[float]:
    """`n` tasks race for one rate limit; returns when each got its slot (epoch seconds)."""
    return sorted(_acquire.map([limit_name] * n).result())


@flow
def hang_once(seconds: float = 600.0) -> int:
    """Hang on the first attempt (the test kills its worker); return at once when retried."""
    from prefect.runtime import flow_run

    attempt = int(flow_run.run_count or 1)
    if attempt == 1:
        time.sleep(seconds)
    return attempt

"""The CPU pool survives a worker that dies, and hands the heap back after each part."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from hirehound.ingest import _cpu
from hirehound.ingest._memory import release_free_memory


def _pids(items: list[int]) -> list[int]:
    return [os.getpid() for _ in items]


def _double(items: list[int]) -> list[int]:
    return [2 * i for i in items]


def _die(items: list[int]) -> list[int]:
    os.kill(os.getpid(), signal.SIGKILL)
    return items


@pytest.fixture
def two_workers():
    before = _cpu._workers
    _cpu.configure_pool(2)
    yield
    _cpu.configure_pool(before)


def test_work_runs_in_other_processes(two_workers: None) -> None:
    pids = _cpu.cpu_map(_pids, list(range(64)))
    assert len(pids) == 64 and os.getpid() not in pids


def test_a_killed_worker_breaks_one_call_not_the_pool(two_workers: None) -> None:
    with pytest.raises(BrokenProcessPool):
        _cpu.cpu_map(_die, list(range(64)))
    # The next call (a task's retry, the next chunk) gets a new pool.
    assert _cpu.cpu_map(_double, list(range(64))) == [2 * i for i in range(64)]


def test_small_inputs_stay_in_process(two_workers: None) -> None:
    assert _cpu.cpu_map(_pids, [1, 2, 3]) == [os.getpid()] * 3


def test_release_free_memory_is_safe_to_call() -> None:
    release_free_memory()

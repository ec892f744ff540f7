"""Chunk stages outlast a database restart, and still give up at once on bad data.

The policy (tasks/_retry.py): a lost database is retried with growing waits for up to
HIREHOUND_TIMEOUT_CHUNK_OUTAGE_S in all; any other failure that is not bad data gets the
two quick retries it always had; bad data none. The restart itself, during a real import on a
real worker, is tests/faults/test_crash_recovery.py::test_postgres_restarted_mid_run.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

pytestmark = pytest.mark.integration


class _PgError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _operational(sqlstate: str | None) -> OperationalError:
    return OperationalError("select 1", {}, _PgError(sqlstate))


def test_outage_backoff_adds_up_to_the_outage() -> None:
    from tasks._retry import outage_backoff

    assert outage_backoff(1.0, 60.0) == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    assert outage_backoff(2.0, 2.0) == [2.0]
    assert sum(outage_backoff(0.3, 7.0)) == pytest.approx(7.0)
    with pytest.raises(ValueError):
        outage_backoff(0, 10)
    with pytest.raises(ValueError):
        outage_backoff(5, 1)


def test_only_a_lost_database_is_an_outage() -> None:
    from hirehound.errors import StorageError
    from hirehound.storage.db import is_outage

    assert is_outage(_operational("57P01"))  # terminating: administrator command (shutdown)
    assert is_outage(_operational("57P03"))  # the database system is starting up
    assert is_outage(_operational("08006"))  # connection failure
    assert is_outage(_operational(None))  # connection refused: no SQLSTATE at all
    assert is_outage(StorageError("cannot connect to PostgreSQL"))
    try:  # wrapped in something else: what it was raised from counts
        try:
            raise _operational("08001")
        except OperationalError as exc:
            raise RuntimeError("stage failed") from exc
    except RuntimeError as wrapped:
        assert is_outage(wrapped)
    assert not is_outage(IntegrityError("insert", {}, _PgError("23505")))
    assert not is_outage(_operational("22P02"))  # bad data, even from OperationalError
    assert not is_outage(ValueError("bad posting"))
    assert not is_outage(RuntimeError("a bug"))


@pytest.mark.parametrize(
    ("exc", "retried_at_runs"),
    [
        (_operational("57P01"), [1, 2, 3, 4, 5, 6, 7]),  # every retry the task has
        (RuntimeError("a bug"), [1, 2]),  # the two quick ones
        (ValueError("bad data"), []),  # none
    ],
)
def test_the_condition_keeps_long_retries_for_outages(exc: BaseException,
                                                       retried_at_runs: list[int]) -> None:
    from tasks._retry import ChunkFailed, retry_unless_bad_data_long_outage

    state = SimpleNamespace(data=ChunkFailed([1, 2], exc))
    got = [n for n in range(1, 8)
           if retry_unless_bad_data_long_outage(None, SimpleNamespace(run_count=n), state)]
    assert got == retried_at_runs


def test_a_real_task_rides_out_an_outage_and_fails_fast_on_its_own(
    prefect_harness: None,
) -> None:
    """On Prefect's own retry machinery: a task whose database is away for 5 attempts goes
    through on the 6th; one that fails for its own reasons stops after 3 runs, one with bad
    data after 1."""
    from prefect import flow, task

    from tasks._retry import RETRY_JITTER, outage_backoff, retry_unless_bad_data_long_outage

    delays = outage_backoff(0.01, 0.2)
    runs: dict[str, int] = {"outage": 0, "bug": 0, "data": 0}

    @task(retries=len(delays), retry_delay_seconds=delays, retry_jitter_factor=RETRY_JITTER,
          retry_condition_fn=retry_unless_bad_data_long_outage, persist_result=False)
    def stage(kind: str) -> str:
        runs[kind] += 1
        if kind == "outage" and runs[kind] <= 5:
            raise _operational("57P03")
        if kind == "bug":
            raise RuntimeError("a bug")
        if kind == "data":
            raise ValueError("bad data")
        return "ok"

    @flow
    def pipeline() -> dict[str, Any]:
        return {k: stage(k, return_state=True).type.value for k in runs}

    assert len(delays) > 5
    assert pipeline() == {"outage": "COMPLETED", "bug": "FAILED", "data": "FAILED"}
    assert runs == {"outage": 6, "bug": 3, "data": 1}

"""The CLI's local Prefect API: started once, found by the next command, gone when idle."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hirehound.cli import _prefect_api

pytestmark = pytest.mark.integration


@pytest.fixture
def no_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No configured API, a Prefect home of the test's own. (`start_for_cli` sets
    PREFECT_API_URL: set-then-delete makes monkeypatch restore what was there before.) The
    API an earlier test's harness set in this process is unset too, as in a fresh command."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv("PREFECT_API_URL", "")
    monkeypatch.delenv("PREFECT_API_URL")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        yield tmp_path / "home"  # HIREHOUND_HOME (tests/conftest.py)


def test_a_second_command_reuses_the_api_and_it_stops_when_idle(
    no_api: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_prefect_api.IDLE_ENV, "6")
    first = _prefect_api.start_for_cli()
    assert first is not None and first.process is not None
    try:
        url = first.wait()
        assert os.environ["PREFECT_API_URL"] == url
        state = json.loads((no_api / _prefect_api.STATE_FILE).read_text())
        assert state["pid"] == first.process.pid and state["url"] == url

        monkeypatch.delenv("PREFECT_API_URL")
        second = _prefect_api.start_for_cli()
        assert second is not None and second.url == url and second.process is None
        assert second.wait(timeout_s=5) == url

        # Nobody calls it for 6 s: it exits on its own.
        deadline = time.monotonic() + 60
        while first.process.poll() is None and time.monotonic() < deadline:
            time.sleep(1)
        assert first.process.poll() is not None
    finally:
        if first.process.poll() is None:
            first.process.kill()


def test_a_configured_api_is_left_alone(no_api: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert _prefect_api.start_for_cli() is None
    assert not (no_api / _prefect_api.STATE_FILE).exists()


def test_a_bad_idle_setting_is_a_clear_error(no_api: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from hirehound.errors import ConfigurationError

    monkeypatch.setenv(_prefect_api.IDLE_ENV, "ten minutes")
    with pytest.raises(ConfigurationError, match=_prefect_api.IDLE_ENV):
        _prefect_api.start_for_cli()


def test_a_new_prefect_home_starts_from_the_template(
    no_api: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first start keeps its freshly migrated database (block types registered, no runs)
    as the template; the next new Prefect home starts from a copy and serves."""
    import sqlite3

    import httpx

    monkeypatch.setenv(_prefect_api.TEMPLATE_ENV, str(tmp_path / "templates"))
    monkeypatch.setenv(_prefect_api.IDLE_ENV, "0")  # each API stops with its command
    first = _prefect_api.start_for_cli()
    assert first is not None
    try:
        first.wait()
    finally:
        first.close()
    template = _prefect_api.template_path()
    with sqlite3.connect(template) as conn:
        assert conn.execute("select count(*) from block_type").fetchone()[0] > 0
        assert conn.execute("select count(*) from flow_run").fetchone()[0] == 0

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-2"))
    monkeypatch.delenv("PREFECT_API_URL")
    second = _prefect_api.start_for_cli()
    assert second is not None
    try:
        url = second.wait()
        assert (tmp_path / "prefect-2" / "prefect.db").exists()
        flow = httpx.post(f"{url}/flows/", json={"name": "from-template"}, timeout=30)
        assert flow.status_code in (200, 201), flow.text
        run = httpx.post(f"{url}/flow_runs/", json={"flow_id": flow.json()["id"]}, timeout=30)
        assert run.status_code in (200, 201), run.text
    finally:
        second.close()


def _nice_values(pid: int) -> list[int]:
    values = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        values.append(int(stat.rsplit(")", 1)[1].split()[16]))  # field 19: nice
    return values


def test_the_api_keeps_books_behind_the_pipeline(no_api: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Once it answers, every thread of the local API runs below the command's priority, and
    without the event persister it still records the flow run and its task runs."""
    from prefect import flow, task
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv(_prefect_api.IDLE_ENV, "0")
    api = _prefect_api.start_for_cli()
    assert api is not None and api.process is not None
    try:
        url = api.wait()
        deadline = time.monotonic() + 30
        while min(_nice_values(api.process.pid)) < _prefect_api.DEFAULT_NICE:
            assert time.monotonic() < deadline, _nice_values(api.process.pid)
            time.sleep(0.2)
        assert os.getpriority(os.PRIO_PROCESS, 0) < _prefect_api.DEFAULT_NICE

        @task
        def double(x: int) -> int:
            return 2 * x

        @flow
        def books() -> str:
            from prefect.runtime import flow_run

            assert [double(i) for i in range(3)] == [0, 2, 4]
            return str(flow_run.id)

        with temporary_settings({PREFECT_API_URL: url}):
            run_id = books()
            with get_client(sync_client=True) as client:
                deadline = time.monotonic() + 60
                while True:  # the task runs' states arrive as events, recorded shortly after
                    runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
                        id=FlowRunFilterId(any_=[run_id])))
                    done = [r for r in runs if r.state and r.state.type.value == "COMPLETED"]
                    if len(done) == 3 or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
        assert len(done) == 3
    finally:
        api.close()


def test_a_bad_nice_setting_is_a_clear_error(no_api: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from hirehound.errors import ConfigurationError

    monkeypatch.setenv(_prefect_api.NICE_ENV, "low")
    with pytest.raises(ConfigurationError, match=_prefect_api.NICE_ENV):
        _prefect_api.start_for_cli()

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

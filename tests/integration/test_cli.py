"""The `hirehound` command as a user runs it: real process, real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hirehound.settings import Settings

pytestmark = pytest.mark.integration


def hirehound(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hirehound.cli", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )


def test_help_lists_every_command() -> None:
    out = hirehound("--help").stdout
    for command in ("db", "ingest", "export", "search", "demo", "dead-letters", "setup",
                    "enrich", "orgs", "metrics"):
        assert command in out


def test_db_status_reports_server_and_pgvector(database_settings: Settings) -> None:
    result = hirehound("db", "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["server_version"] and status["pgvector_version"] and status["up_to_date"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u:pw@127.0.0.1:1/db", "cannot connect to PostgreSQL"),
        ("sqlite:///x.db", "must point at PostgreSQL"),
    ],
)
def test_bad_database_url_is_one_line(url: str, message: str) -> None:
    result = hirehound("db", "status", env={"HIREHOUND_DATABASE_URL": url})
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreadable_input_is_one_line(database_settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "nonsense.json"
    bad.write_text("{ not json")
    result = hirehound("ingest", "--direct", str(bad))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and str(bad) in result.stderr


def test_ingest_export_and_search(clean_db: Settings) -> None:
    from hirehound.sources import demo_targets

    ashby = [str(p) for kind, p in demo_targets() if kind == "ashby"]
    result = hirehound("ingest", "--direct", "--source", "ashby", *ashby)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["processed"] == counts["read"] > 0
    exported = hirehound("export", "--format", "jsonl")
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(rows) == counts["processed"]
    hits = hirehound("search", "engineer", "--json")
    assert hits.returncode == 0 and hits.stdout.strip()

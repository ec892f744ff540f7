"""Crawling in this process (subflows, a temporary Prefect API) against a local board farm.

Rounds: the farm changes between crawls the way real boards do (edits, dropped postings that
come back, 500s, 429s, redirects); every round makes the sources that are not backed off due
and runs `crawl_due_sources` as `hirehound sources crawl --all` does without a pool. The pool
(two real workers, limits that bind) is tested in test_crawl_pool.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hirehound.settings import Settings
from hirehound.storage import db
from tests.conftest import shared_data

pytestmark = pytest.mark.integration


def _scalar(sql: str, **params: Any) -> Any:
    with db.transaction() as s:
        return s.execute(text(sql), params).scalar()


def _rows(sql: str, **params: Any) -> list[Any]:
    with db.transaction() as s:
        return list(s.execute(text(sql), params))


@pytest.fixture
def farm() -> Iterator[Any]:
    from tests.support.boards import BoardFarm

    shared_data("postings", "ashby")
    with BoardFarm(n_boards=12, seed=3, broken=1, throttled=1, slow=0, redirected=1,
                   change_share=0.25, drop_share=0.25, return_after=2) as farm:
        yield farm


@pytest.fixture
def crawler(clean_db: Settings, prefect_harness: None, farm: Any,
            monkeypatch: pytest.MonkeyPatch) -> Any:
    from flows.crawl import crawl_due_sources
    from hirehound import crawl

    monkeypatch.setenv("HIREHOUND_ALLOW_PRIVATE_ADDRESSES", "true")
    with db.transaction() as s:
        for url in farm.board_urls():
            crawl.add_source(s, url, every_s=60, min_interval_s=0.0)

    def crawl_round() -> dict[str, Any]:
        # Every source not backed off is due now (a round), as if its cadence had passed.
        with db.transaction() as s:
            s.execute(text("update crawl_sources set next_due_at = now() "
                           "where enabled and consecutive_failures = 0"))
        return crawl_due_sources(use_pool=False)

    return crawl_round


def _status_of(board_jobs: dict[str, list[str]]) -> dict[str, str]:
    ids = [j for jobs in board_jobs.values() for j in jobs]
    return dict(_rows("select source_id, status from postings where source_id = any(:ids)",
                      ids=ids))


def test_rounds_follow_the_boards(crawler: Any, farm: Any) -> None:
    healthy = [b for b in farm.boards if b not in farm.broken]
    broken = sorted(farm.broken)[0]

    # Round 0: everything is new; the broken board fails alone and is backed off.
    first = crawler()
    ever = {j["id"] for b in healthy for j in farm.jobs(b)}
    assert first["ok"] == len(healthy) and first["failed"] == 1, first
    listed = sum(len(farm.jobs(b)) for b in healthy)
    assert _scalar("select count(*) from postings") == listed
    assert _scalar("select count(*) from postings where step = 'publish'") == listed
    src = _rows("select consecutive_failures, last_error, next_due_at - now() as wait "
                "from crawl_sources where name like :n", n=f"%{broken.replace(' ', '%')}%")[0]
    assert src.consecutive_failures == 1 and "HTTP 500" in src.last_error
    assert src.wait.total_seconds() > 100  # 60 s cadence doubled
    assert farm.count(board=sorted(farm.redirected)[0], status=200, round=0) == 1
    dead = _rows("select step, target, detail from dead_letters where target is not null")
    assert len(dead) == 1 and dead[0].step == "crawl" and "HTTP 500" in dead[0].detail

    # Round 1: edits are reprocessed, drops are missed once (not closed yet), the rest 304.
    farm.next_round()
    # Changes on the broken board are never seen: count the healthy boards' only.
    dropped = {b: v for b, v in farm.dropped.items() if b in healthy}
    changed = {b: v for b, v in farm.changed.items() if b in healthy}
    assert dropped and changed
    second = crawler()
    ever |= {j["id"] for b in healthy for j in farm.jobs(b)}
    assert second["changed"] == sum(len(v) for v in changed.values())
    assert second["not_modified"] >= len(healthy) - len(changed) - len(dropped) - 1
    assert set(_status_of(dropped).values()) == {"active"}
    requests = farm.requests_in_round(1)
    assert all(r.headers.get("if-none-match") for r in requests if r.board in healthy)

    # Round 2, nothing changes: pure 304s, and the second miss closes the dropped postings.
    farm.quiet_round()
    third = crawler()
    assert third["not_modified"] == len(healthy), third
    assert third["closed"] == sum(len(v) for v in dropped.values())
    assert set(_status_of(dropped).values()) == {"closed"}
    assert farm.count(status=200, round=2) == 0

    # Round 3: the dropped postings come back, reprocessed and searchable again.
    farm.next_round()
    returned = {b: v for b, v in farm.returned.items() if b in healthy}
    assert returned
    fourth = crawler()
    assert fourth["ok"] + fourth.get("not_modified", 0) == len(healthy)
    assert set(_status_of(returned).values()) == {"active"}
    back = next(iter(returned.items()))
    title = next(j["title"] for j in farm.jobs(back[0]) if j["id"] == back[1][0])
    from hirehound.search import search

    pid, cluster = _rows("select id, cluster_id from postings where source_id = :j",
                         j=back[1][0])[0]
    with db.transaction() as s:
        hits = search(s, " ".join(w for w in title.split() if w.isalpha())[:60], limit=500)
    state = _rows("select p.status, p.step, p.cluster_id, c.canonical_posting_id, "
                  "(select count(*) from search_documents d where d.posting_id = p.id) as docs "
                  "from postings p left join duplicate_clusters c on c.id = p.cluster_id "
                  "where p.id = :p", p=pid)
    assert any(h.posting_id == pid or h.cluster_id == cluster for h in hits), (title, state)

    # Nothing twice: one posting per job the healthy boards ever listed.
    ever |= {j["id"] for b in healthy for j in farm.jobs(b)}
    assert _scalar("select count(*) from postings") == len(ever)
    assert _scalar("select count(*) from raw_postings") == len(ever)


def test_sources_cli_round_trip(clean_db: Settings, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    from hirehound.cli import main

    assert main(["sources", "add", "ashby:cohere", "--every", "30m"]) == 0
    assert main(["sources", "add", "https://jobs.ashbyhq.com/cohere"]) == 0  # same board
    assert "updated ashby:cohere" in capsys.readouterr().out
    assert main(["sources", "import"]) == 0  # the shipped board list
    out = capsys.readouterr().out
    assert "added" in out and "no workday adapter yet" in out
    assert _scalar("select count(*) from crawl_sources") > 300
    boards = tmp_path / "boards.csv"
    boards.write_text("kind,board,every\nlever,acme,2h\ngreenhouse,acme,bad\n")
    assert main(["sources", "import", str(boards)]) == 0
    assert "1 added" in capsys.readouterr().out
    assert main(["sources", "disable", "ashby:cohere"]) == 0
    assert main(["sources", "list", "ashby:cohere", "lever:acme"]) == 0
    out = capsys.readouterr().out
    assert "disabled by an operator" in out and "lever:acme" in out and " 2h " in out
    assert main(["sources", "enable", "ashby:cohere"]) == 0
    assert main(["sources", "list", "--json", "ashby:cohere"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert row["enabled"] is True and row["every_s"] == 3600

    assert main(["sources", "add", "/tmp/some-file.json"]) == 2
    assert main(["sources", "add", "ashby:x", "--every", "soon"]) == 2
    assert main(["sources", "disable", "ashby:nope"]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("company,url\nAcme,x\n")
    assert main(["sources", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "files are read by `hirehound ingest`" in err and "no such source" in err
    assert "CSV needs a header" in err


def test_one_bad_target_never_fails_the_rest(clean_db: Settings, prefect_harness: None,
                                             farm: Any, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.ingest import ingest_postings

    monkeypatch.setenv("HIREHOUND_ALLOW_PRIVATE_ADDRESSES", "true")
    good = farm.board_urls()[0]
    started = time.monotonic()
    counts = ingest_postings(targets=[str(tmp_path / "missing.jsonl"), good,
                                      farm.board_url("no-such-board")])
    elapsed = time.monotonic() - started
    assert counts["targets_failed"] == 2 and counts["processed"] == len(farm.jobs(farm.boards[0]))
    letters = {r.target: r for r in _rows("select target, step, detail from dead_letters")}
    assert set(letters) == {str(tmp_path / "missing.jsonl"), farm.board_url("no-such-board")}
    assert "no such file" in letters[str(tmp_path / "missing.jsonl")].detail
    assert "404" in letters[farm.board_url("no-such-board")].detail
    assert elapsed < 30  # a 404 is not retried at all, by HTTP or by Prefect

    with pytest.raises(ValueError, match="no targets"):
        ingest_postings(targets=[])


def test_demo_runs_the_crawl(clean_db: Settings, prefect_harness: None,
                             monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    from hirehound.cli import main

    # The demo lets its own process reach loopback; the fixture restores the environment.
    monkeypatch.setenv("HIREHOUND_ALLOW_PRIVATE_ADDRESSES", "false")
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "1st crawl (already ingested)" in out and "closed 1" in out
    assert "is now closed (no longer listed by" in out
    assert _scalar("select count(*) from crawl_sources") == 0  # the demo's boards are gone
    assert _scalar("select count(*) from postings where status = 'closed'") == 1


def test_host_politeness_is_shared(clean_db: Settings) -> None:
    """Reservations queue up per host across callers (workers share the database row)."""
    from hirehound.crawl import host_key, reserve

    engine = db.engine()
    waits = [reserve(engine, "https://api.example.com/a", 0.5) for _ in range(4)]
    other = reserve(engine, "https://other.example.com/b", 0.5)
    assert waits[0] == 0.0 and other == 0.0
    # Each next request to the host may start half a second after the previous one.
    assert [round(w * 2) / 2 for w in waits[1:]] == [0.5, 1.0, 1.5]
    assert host_key("http://127.0.0.1:8080/x") == "127.0.0.1:8080"
    assert reserve(engine, "https://api.example.com/a", 0.0) == 0.0  # no interval, no wait

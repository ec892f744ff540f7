"""The SmartRecruiters and Personio sources through the crawl, against local boards.

Each kind is one source module; this shows it needs nothing else to be crawled like the
others: conditional requests (an unchanged board costs one 304), postings stored and
published, a vanished posting closed after two complete crawls, a broken record dead-lettered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from hirehound.settings import Settings
from hirehound.storage import db
from tests.unit.sources.conftest import FIXTURES

pytestmark = pytest.mark.integration

SR_BOARD, PERSONIO_BOARD = "NorthwindTraders", "contoso"


def _rows(sql: str, **params: Any) -> list[Any]:
    with db.transaction() as s:
        return list(s.execute(text(sql), params))


@pytest.fixture
def boards() -> Iterator[Any]:
    from tests.support.boards import AtsBoards

    sr = json.loads((FIXTURES / "smartrecruiters" / f"{SR_BOARD}.json").read_text())
    xml = (FIXTURES / "personio" / f"{PERSONIO_BOARD}.xml").read_text()
    # Pages of two: the crawl has to page through the list as on a big board.
    with AtsBoards(smartrecruiters={SR_BOARD: sr}, personio={PERSONIO_BOARD: xml},
                   page_size=2) as farm:
        yield farm


@pytest.fixture
def crawler(clean_db: Settings, prefect_harness: None, boards: Any,
            monkeypatch: pytest.MonkeyPatch) -> Any:
    from flows.crawl import crawl_due_sources
    from hirehound import crawl
    from hirehound.sources import _smartrecruiters

    monkeypatch.setenv("HIREHOUND_ALLOW_PRIVATE_ADDRESSES", "true")
    # Unchanged postings keep their stored detail (no hourly refresh slot in this test).
    monkeypatch.setattr(_smartrecruiters, "refresh_due", lambda _id, now=None: False)
    with db.transaction() as s:
        for kind, board in (("smartrecruiters", SR_BOARD), ("personio", PERSONIO_BOARD)):
            crawl.add_source(s, boards.url(kind, board), kind=kind, every_s=60,
                             min_interval_s=0.0, organization="Hint Org")

    def crawl_round() -> dict[str, Any]:
        with db.transaction() as s:
            s.execute(text("update crawl_sources set next_due_at = now() where enabled"))
        return crawl_due_sources(use_pool=False)

    return crawl_round


def _postings(source: str) -> dict[str, Any]:
    return {r.source_id: r for r in _rows(
        "select p.source_id, p.status, p.step, p.title, r.payload from postings p "
        "join raw_postings r on r.id = p.id where p.source = :s", s=source)}


def test_new_kinds_crawl_like_the_others(crawler: Any, boards: Any) -> None:
    first = crawler()
    assert first["ok"] == 2 and first.get("failed", 0) == 0, first
    sr, personio = _postings("smartrecruiters"), _postings("personio")
    assert set(sr) == set(boards.ids("smartrecruiters", SR_BOARD))
    assert {r.step for r in sr.values()} == {"publish"}
    # The description came from each posting's detail, fetched after paging the list.
    assert all("jobAd" in r.payload for r in sr.values())
    paths = [p for p, _, _ in boards.requests]
    assert sum("offset=" in p for p in paths) == 1  # page 2 of 2 (3 postings)
    assert sum(p.count("/") == 5 for p in paths) == 3  # one detail per posting
    # Two good positions, one without a title: dead-lettered with the crawl's parse letters.
    assert set(personio) == {"1843207", "1851113"}
    dead = _rows("select error_type from dead_letters where source = 'personio'")
    assert [d.error_type for d in dead] == ["missing_title"]

    # Unchanged boards: one conditional request each, answered 304, no detail requests.
    boards.requests.clear()
    second = crawler()
    assert second["not_modified"] == 2, second
    assert [(s, h.get("if-none-match") is not None) for _, s, h in boards.requests] == [
        (304, True), (304, True)]

    # A posting vanishes from each board: missed once, closed at the second complete crawl.
    # The list changed, the postings still listed did not: their details are not fetched.
    boards.drop("smartrecruiters", SR_BOARD, "744000012345672")
    boards.drop("personio", PERSONIO_BOARD, "1851113")
    boards.requests.clear()
    third = crawler()
    assert third["unchanged"] == 3, third  # 2 SmartRecruiters + 1 Personio
    assert not [p for p, _, _ in boards.requests if p.count("/") == 5]
    assert _postings("smartrecruiters")["744000012345672"].status == "active"
    fourth = crawler()
    assert fourth["closed"] == 2, fourth
    assert _postings("smartrecruiters")["744000012345672"].status == "closed"
    assert _postings("personio")["1851113"].status == "closed"
    assert _postings("personio")["1843207"].status == "active"

"""The board farm (tests/support/boards.py) behaves as crawl tests will assume it does."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import shared_data
from tests.support.boards import BoardFarm


def _fault_free(data_dir: Path, n_boards: int, **options: Any) -> BoardFarm:
    return BoardFarm(
        n_boards, data_dir=data_dir, broken=0, throttled=0, slow=0, redirected=0, **options
    )


@pytest.fixture
def data_dir() -> Path:
    return shared_data("postings", "ashby")


def _ids(resp: httpx.Response) -> list[str]:
    return [j["id"] for j in resp.json()["jobs"]]


def test_serves_the_recorded_boards(data_dir: Path) -> None:
    farm = BoardFarm(data_dir=data_dir)

    files = sorted(p.name for p in data_dir.glob("*.json.gz"))
    assert len(farm.boards) == 200
    names = [_file(b) for b in farm.boards]
    assert names == sorted(names) and set(names) <= set(files)
    assert len(farm.broken) == 3 and len(farm.throttled) == 3
    assert len(farm.slow) == 2 and len(farm.redirected) == 3
    faults = [farm.broken, farm.throttled, farm.slow, farm.redirected]
    assert sum(map(len, faults)) == len(frozenset().union(*faults)) == 11
    assert len(farm.healthy) == 189
    assert BoardFarm(data_dir=data_dir).broken == farm.broken  # deterministic for a seed

    with farm, httpx.Client(timeout=5) as client:
        urls = farm.board_urls()
        first = quote(farm.boards[0], safe="")
        assert urls[0] == f"{farm.base_url}/posting-api/job-board/{first}?includeCompensation=true"
        assert all(u.endswith("?includeCompensation=true") for u in urls)
        quoted = [b for b in farm.healthy if " " in b]
        assert quoted and "%20" in farm.board_url(quoted[0])
        for board in [*farm.healthy[:3], *quoted[:1]]:
            resp = client.get(farm.board_url(board))
            assert resp.status_code == 200, board
            assert resp.headers["content-type"] == "application/json"
            assert resp.headers["content-encoding"] == "gzip"  # httpx asks for it
            recorded = json.loads(gzip.decompress((data_dir / _file(board)).read_bytes()))
            assert _ids(resp) == [j["id"] for j in recorded["jobs"]]
            assert _ids(resp) == [j["id"] for j in farm.jobs(board)]
        plain = client.get(urls[0], headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.json()["jobs"]
        assert client.get(farm.board_url("no-such-board")).status_code == 404
        assert client.get(f"{farm.base_url}/elsewhere").status_code == 404


def _file(board: str) -> str:
    return f"{quote(board, safe='')}.json.gz"


def test_more_boards_than_recorded_is_refused(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="boards with jobs"):
        BoardFarm(n_boards=10_000, data_dir=data_dir)


def test_missing_data_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="absent"):
        BoardFarm(data_dir=tmp_path / "absent")


def test_etag_and_last_modified_give_304(data_dir: Path) -> None:
    with _fault_free(data_dir, 20, change_share=1.0) as farm:
        board = farm.boards[0]
        url = farm.board_url(board)
        first = httpx.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag == farm.etag(board) and modified.endswith(" GMT")

        again = httpx.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        since = httpx.get(url, headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        older = httpx.get(url, headers={"If-Modified-Since": "Tue, 30 Sep 2025 00:00:00 GMT"})
        assert older.status_code == 200
        other = httpx.get(url, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200

        farm.next_round()  # every board edits one job
        assert board in farm.changed
        fresh = httpx.get(url, headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["etag"] != etag
        assert httpx.get(url, headers={"If-Modified-Since": modified}).status_code == 200
        assert farm.count(board=board, status=304) == 2


def test_rounds_change_drop_and_return_what_they_say(data_dir: Path) -> None:
    shares = {"change_share": 0.2, "drop_share": 0.2}
    with _fault_free(data_dir, 60, **shares) as farm, httpx.Client() as client:
        before = {b: farm.jobs(b) for b in farm.boards}
        etags = {b: client.get(farm.board_url(b)).headers["etag"] for b in farm.boards}

        r1 = farm.next_round()
        assert farm.round == 1 and r1.changed == farm.changed
        assert len(farm.changed) == 12 and len(farm.dropped) == 12 and farm.returned == {}
        assert not farm.changed.keys() & farm.dropped.keys()
        assert len(farm.unchanged) == 36
        for board, (job_id,) in farm.changed.items():
            now = {j["id"]: j for j in client.get(farm.board_url(board)).json()["jobs"]}
            was = {j["id"]: j for j in before[board]}
            assert now.keys() == was.keys()
            assert [i for i in now if now[i] != was[i]] == [job_id]
        for board, gone in farm.dropped.items():
            assert 1 <= len(gone) <= 2
            served = _ids(client.get(farm.board_url(board)))
            assert served == [j["id"] for j in before[board] if j["id"] not in gone]
        for board in farm.unchanged:
            resp = client.get(farm.board_url(board), headers={"If-None-Match": etags[board]})
            assert resp.status_code == 304

        farm.next_round()
        assert farm.returned == {}
        farm.next_round()  # round 1's drops come back, in their places
        assert farm.returned == r1.dropped
        for board in r1.dropped:
            served = _ids(client.get(farm.board_url(board)))
            assert set(r1.dropped[board]) <= set(served)
            original = [j["id"] for j in before[board]]
            assert served == [i for i in original if i in served]

        quiet = farm.quiet_round()
        assert farm.round == 4 and quiet.changed == quiet.dropped == quiet.returned == {}
        assert len(farm.unchanged) == 60

    assert _fault_free(data_dir, 60, **shares).next_round() == r1  # deterministic
    other = _fault_free(data_dir, 60, seed=1, **shares)
    assert other.next_round().changed != r1.changed


def test_faults(data_dir: Path) -> None:
    farm = BoardFarm(n_boards=30, data_dir=data_dir, slow_delay=30.0).start()
    with httpx.Client(timeout=5) as client:
        broken = next(iter(farm.broken))
        assert [client.get(farm.board_url(broken)).status_code for _ in range(2)] == [500, 500]

        throttled = next(iter(farm.throttled))
        first = client.get(farm.board_url(throttled))
        assert first.status_code == 429 and first.headers["retry-after"] == "1"
        assert client.get(farm.board_url(throttled)).status_code == 200
        farm.quiet_round()  # a new round throttles again
        assert client.get(farm.board_url(throttled)).status_code == 429

        for board in farm.redirected:
            resp = client.get(farm.board_url(board), follow_redirects=True)
            assert resp.status_code == 200
            assert resp.history[0].status_code == farm.redirect_codes[board]
            assert resp.url.path.startswith("/moved/") and "includeCompensation" in str(resp.url)
            assert _ids(resp) == [j["id"] for j in farm.jobs(board)]
        assert set(farm.redirect_codes.values()) == {301, 302}

        # A slow board outlasts the client's timeout without holding up other boards.
        slow = next(iter(farm.slow))
        with pytest.raises(httpx.ReadTimeout):
            client.get(farm.board_url(slow), timeout=0.3)
        started = time.monotonic()
        assert client.get(farm.board_url(farm.healthy[0])).status_code == 200
        assert time.monotonic() - started < 5.0  # far below the slow board's stall

        # stop() doesn't wait for a slow answer still in flight.
        waiter = threading.Thread(target=_get_quietly, args=(farm.board_url(slow),))
        waiter.start()
        deadline = time.monotonic() + 5
        while farm.count(board=slow) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    stopped = time.monotonic()
    farm.stop()
    assert time.monotonic() - stopped < 5.0  # not the slow answer's stall
    waiter.join(timeout=5)
    assert not waiter.is_alive()
    assert farm.count(board=slow) == 2


def _get_quietly(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(url, timeout=60)


def test_request_log_windows_and_concurrency(data_dir: Path) -> None:
    with _fault_free(data_dir, 10, latency=0.3) as farm:
        urls = farm.board_urls()
        threads = [threading.Thread(target=httpx.get, args=(u,)) for u in urls[:5]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert farm.max_concurrent() == 5
        assert farm.max_in_window(1.0, round=0) == 5

        farm.next_round()
        for u in urls[:3]:  # one after the other, each >= 0.3 s apart
            httpx.get(u, headers={"If-None-Match": '"x"', "User-Agent": "hirehound-test"})
        assert farm.max_in_window(0.25, round=1) == 1
        assert farm.max_concurrent(round=1) == 1
        assert farm.max_in_window(10.0) == 8

        assert len(farm.requests) == 8
        assert len(farm.requests_in_round(0)) == 5 and len(farm.requests_in_round(1)) == 3
        assert farm.count(status=200) == 8 and farm.count(board=farm.boards[0]) == 2
        assert farm.count(board=farm.boards[0], round=1) == 1
        last = farm.requests[-1]
        assert last.board == farm.boards[2] and last.round == 1 and last.status == 200
        assert last.headers["if-none-match"] == '"x"'
        assert last.headers["user-agent"] == "hirehound-test"
        assert last.ended is not None and last.ended - last.started >= 0.3
        farm.clear_requests()
        assert farm.requests == [] and farm.max_in_window(1.0) == 0

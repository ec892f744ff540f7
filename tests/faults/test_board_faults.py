"""Boards and APIs that misbehave: 429 with Retry-After, bursts of 500s, slow drips.

The crawl runs for real (flows in this process, a temporary Prefect API, the real database)
against a local server playing the faults; the enrichment breaker runs against a local API
and the real `circuit_breakers` table. What must hold: the backoff the server asks for is
obeyed, a body trickled slower than the deadline is cut off, every failure of a board is a
dead letter and a backed-off source, nothing is lost (every posting of every board is stored
once the board answers again), and the breaker opens, fails fast, and recovers.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hirehound.settings import Settings
from hirehound.storage import db

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/sources/ashby/finni-health.json"
PREFIX = "/posting-api/job-board/"
DEADLINE_S = 1.5
RETRY_AFTER_S = 2
FIGURES: dict[str, Any] = {}


@dataclass
class Hit:
    board: str
    status: int
    at: float


@dataclass
class Boards:
    """One server, one behaviour per board, switched per round by the test."""

    payloads: dict[str, bytes]
    mode: dict[str, str]  # board -> "ok" | "throttle" | "burst:<n>" | "drip"
    hits: list[Hit] = field(default_factory=list)
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen_throttle: set[str] = field(default_factory=set)
    burst_left: dict[str, int] = field(default_factory=dict)

    def url(self, board: str) -> str:
        return f"{self.base}{PREFIX}{board}"

    def jobs(self, board: str) -> list[str]:
        return [j["id"] for j in json.loads(self.payloads[board])["jobs"]]

    def decide(self, board: str) -> tuple[int, dict[str, str], bytes, float]:
        """(status, headers, body, seconds between 64-byte pieces of the body)."""
        with self.lock:
            mode = self.mode.get(board, "missing")
            body = self.payloads.get(board, b"")
            status, headers, drip = 200, {"Content-Type": "application/json"}, 0.0
            if mode == "missing":
                status, body = 404, b"{}"
            elif mode == "throttle" and board not in self.seen_throttle:
                self.seen_throttle.add(board)
                status, headers, body = 429, {"Retry-After": str(RETRY_AFTER_S)}, b"{}"
            elif mode.startswith("burst:"):
                left = self.burst_left.setdefault(board, int(mode.split(":")[1]))
                if left > 0:
                    self.burst_left[board] = left - 1
                    status, body = 500, b'{"error": "boom"}'
            elif mode == "drip":
                drip = 0.25  # 64 bytes every 0.25 s: a 20 kB board would take 80 s
            self.hits.append(Hit(board, status, time.monotonic()))
            return status, headers, body, drip

    def of(self, board: str) -> list[Hit]:
        return [h for h in self.hits if h.board == board]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@contextlib.contextmanager
def serve_boards(boards: Boards) -> Iterator[Boards]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            board = self.path.split("?", 1)[0].removeprefix(PREFIX)
            status, headers, body, drip = boards.decide(board)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if not drip:
                    self.wfile.write(body)
                    return
                for i in range(0, len(body), 64):
                    self.wfile.write(body[i : i + 64])
                    self.wfile.flush()
                    time.sleep(drip)
            except OSError:  # the client gave up on the drip: as it should
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), H)
    boards.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield boards
    finally:
        server.shutdown()
        server.server_close()


def _payload(board: str) -> bytes:
    data = json.loads(FIXTURE.read_bytes())
    for i, job in enumerate(data["jobs"]):
        job["id"] = f"{board}-{i}"
        job["jobUrl"] = job["applyUrl"] = f"https://jobs.example.com/{board}/{i}"
    return json.dumps(data).encode()


def _rows(sql: str, **params: Any) -> list[Any]:
    with db.transaction() as s:
        return list(s.execute(text(sql), params))


BOARDS = ("steady", "throttled", "short-burst", "long-burst", "drip")


@pytest.fixture
def crawl_world(clean_db: Settings, prefect_harness: None,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Boards, Any]]:
    from flows.crawl import crawl_due_sources
    from hirehound import crawl
    from hirehound.sources import _http

    # Only the board server's address is let through (the narrow allow-list), the deadline
    # is short so a drip is cut in seconds, and backoff waits are short (Retry-After is not).
    monkeypatch.setenv("HIREHOUND_ALLOWED_NETWORKS", '["127.0.0.1/32"]')
    monkeypatch.setenv("HIREHOUND_HTTP_DEADLINE_S", str(DEADLINE_S))
    monkeypatch.setenv("HIREHOUND_HTTP_TIMEOUT_S", "1.0")
    monkeypatch.setattr(_http, "RETRY_INITIAL_S", 0.05)
    monkeypatch.setattr(_http, "RETRY_MAX_S", 0.1)
    boards = Boards(
        payloads={b: _payload(b) for b in BOARDS},
        mode={"steady": "ok", "throttled": "throttle", "drip": "drip",
              # a burst shorter than the retries, and one longer (fails the round)
              "short-burst": f"burst:{_http.RETRY_ATTEMPTS - 2}",
              "long-burst": f"burst:{_http.RETRY_ATTEMPTS + 1}"},
    )
    with serve_boards(boards):
        with db.transaction() as s:
            for b in BOARDS:
                crawl.add_source(s, boards.url(b), every_s=60, min_interval_s=0.0)

        def crawl_round() -> dict[str, Any]:
            # Time passes: every enabled source is due (backed-off ones included).
            with db.transaction() as s:
                s.execute(text("update crawl_sources set next_due_at = now() where enabled"))
            return crawl_due_sources(use_pool=False)

        yield boards, crawl_round


def test_board_faults_lose_nothing(crawl_world: tuple[Boards, Any]) -> None:
    boards, crawl_round = crawl_world
    from hirehound.sources._http import RETRY_ATTEMPTS

    t0 = time.monotonic()
    first = crawl_round()
    elapsed = time.monotonic() - t0
    # The throttled board waited as told: 429, then the retry no sooner than Retry-After.
    throttled = boards.of("throttled")
    assert [h.status for h in throttled] == [429, 200]
    waited = throttled[1].at - throttled[0].at
    assert waited >= RETRY_AFTER_S - 0.1, waited
    # The short burst was absorbed by the retries; the long one used them all.
    assert [h.status for h in boards.of("short-burst")] == [500] * (RETRY_ATTEMPTS - 2) + [200]
    assert [h.status for h in boards.of("long-burst")] == [500] * RETRY_ATTEMPTS
    # The drip was cut at the deadline on every attempt (never read to its end).
    assert len(boards.of("drip")) == RETRY_ATTEMPTS
    failed = {r.name: r for r in _rows(
        "select name, target, consecutive_failures, last_error from crawl_sources"
        " where consecutive_failures > 0")}
    assert first["failed"] == 2 and len(failed) == 2, (first, failed)
    errors = " | ".join(r.last_error for r in failed.values())
    assert "HTTP 500" in errors and "deadline" in errors, errors
    dead = _rows("select step, target, detail from dead_letters where step = 'crawl'")
    named = {b for b in ("long-burst", "drip") for d in dead if b in f"{d.target} {d.detail}"}
    assert len(dead) == 2 and named == {"long-burst", "drip"}, dead

    # Next round: the boards answer again; the failed ones are crawled and nothing is lost.
    boards.mode.update({"long-burst": "ok", "drip": "ok"})
    second = crawl_round()
    assert second.get("failed", 0) == 0 and second["ok"] == len(BOARDS), second
    stored = {r.source_id for r in _rows("select source_id from postings")}
    expected = {j for b in BOARDS for j in boards.jobs(b)}
    assert stored == expected
    assert _rows("select count(*) as n from crawl_sources where consecutive_failures > 0")[0].n == 0
    FIGURES["crawl"] = {
        "boards": len(BOARDS), "faults injected": 4, "requests": len(boards.hits),
        "429 wait (s)": round(waited, 2), "round 1 (s)": round(elapsed, 1),
        "dead letters": len(dead), "postings expected": len(expected),
        "postings stored": len(stored), "lost": len(expected - stored),
    }
    print(f"\n[board-faults] crawl: {FIGURES['crawl']}")


# --- the enrichment breaker against an API that fails, throttles and recovers -------------


@dataclass
class Api:
    status: int = 200
    delay_s: float = 0.0
    calls: list[tuple[float, int]] = field(default_factory=list)


@pytest.fixture
def api() -> Iterator[tuple[Api, str]]:
    from tests.support.httpserver import Request, Response, serve

    state = Api()
    body = b'{"name": "Acme", "domain": "acme.com", "metrics": {"employees": 12}}'

    def handler(req: Request) -> Response:
        status, delay = state.status, state.delay_s
        state.calls.append((time.monotonic(), status))
        if status == 429:
            state.status = 200  # one 429, then well again
            return Response(429, b"{}", {"Retry-After": "1"})
        return Response(status, body if status == 200 else b"{}", delay_s=delay)

    with serve(handler) as base:
        yield state, base


def test_enrichment_breaker_opens_and_recovers(clean_db: Settings, api: tuple[Api, str]) -> None:
    from hirehound.enrichment import (
        BreakerPolicy,
        CircuitBreaker,
        CircuitOpen,
        OrgQuery,
        SafeClient,
    )
    from hirehound.enrichment._sources import ClearbitSource
    from hirehound.errors import EnrichmentDataError, EnrichmentUnavailable

    db.configure(clean_db)
    state, base = api
    client = SafeClient(allowed_networks=("127.0.0.1/32",), timeout=2.0, attempts=2,
                        backoff_base=0.01, backoff_max=0.02)
    source = ClearbitSource(client, "key", base_url=base)
    query = OrgQuery(1, "Acme", "acme", domain="acme.com")
    policy = BreakerPolicy(failure_threshold=3, cooldown_s=1.0)

    def breaker() -> CircuitBreaker:  # one per call, as tasks/enrich.py makes them
        return CircuitBreaker("clearbit-faults", db.transaction, policy)

    def call() -> str:
        try:
            with breaker().guard():
                source.lookup(query)
        except CircuitOpen:
            return "open"
        except EnrichmentDataError:
            return "data"
        except EnrichmentUnavailable:
            return "down"
        return "ok"

    def row() -> Any:
        return _rows("select state, consecutive_failures from circuit_breakers"
                     " where service = 'clearbit-faults'")[0]

    # 429 with Retry-After: waited as told, then answered; the breaker saw one success.
    state.status = 429
    assert call() == "ok"
    (t429, _), (t200, _) = state.calls[-2:]
    assert t200 - t429 >= 0.9

    # Two failures, then data errors (403): they count neither way.
    state.status = 500
    assert [call(), call()] == ["down", "down"]
    state.status = 403
    assert call() == "data" and row().consecutive_failures == 2

    # A slow call starts while closed; the third failure opens the circuit meanwhile; the slow
    # call's late success must not close it.
    state.status, state.delay_s = 200, 1.0
    slow: list[str] = []
    thread = threading.Thread(target=lambda: slow.append(call()))
    thread.start()
    time.sleep(0.3)
    state.status, state.delay_s = 500, 0.0
    assert call() == "down" and row().state == "open"
    thread.join()
    assert slow == ["ok"] and row().state == "open"

    # Open: callers fail fast, the API is not asked.
    before = len(state.calls)
    assert [call() for _ in range(5)] == ["open"] * 5 and len(state.calls) == before

    # After the cool-down one probe goes through. It meets a data error (403): that counts
    # neither way, and hands the probe on at once instead of waiting out another cool-down.
    time.sleep(policy.cooldown_s + 0.1)
    state.status = 403
    assert call() == "data" and row().state == "half_open"
    # The next probe finds the API well again: closed.
    state.status = 200
    b = breaker()
    b.before_call()  # the fail-fast check tasks/enrich.py makes before its rate-limit slot
    with b.guard():  # ...then the guarded call: the same probe, not refused as "half_open"
        source.lookup(query)
    assert row().state == "closed" and row().consecutive_failures == 0
    assert call() == "ok"
    client.close()
    FIGURES["breaker"] = {"api calls": len(state.calls), "fail-fast refusals": 5,
                          "late success ignored": True, "recovered": True}
    print(f"\n[board-faults] breaker: {FIGURES['breaker']}")


def test_a_drip_is_cut_at_the_deadline() -> None:
    """Per-read timeouts never fire on a body trickled 64 bytes every 0.25 s; the deadline
    does, within one piece of it."""
    from hirehound import net

    boards = Boards(payloads={"drip": _payload("drip")}, mode={"drip": "drip"})
    with serve_boards(boards), net.GuardedClient(
        net.AddressPolicy.of(allow=["127.0.0.1/32"]), timeout=1.0
    ) as client:
        t0 = time.monotonic()
        with pytest.raises(net.Retryable, match="deadline"):
            net.fetch(client, boards.url("drip"), deadline_s=1.0)
        took = time.monotonic() - t0
    assert took < 1.0 + 0.5, took
    FIGURES["drip"] = {"deadline (s)": 1.0, "cut after (s)": round(took, 2)}
    print(f"\n[board-faults] drip: {FIGURES['drip']}")

"""A concern slot taken from a server that is busy: a SQLite-backed Prefect server answers 503
while its database is locked, and `tasks._context.concern_slot` asks again after 50 ms,
doubling to 1 s, instead of the Prefect client's own 2 s, 4 s, ... sleeps.

The server is a real HTTP server on 127.0.0.1 that speaks the three calls a slot needs (the
limit by name, increment-with-lease, decrement-with-lease) and answers the increment with
BUSY 503s before it grants the slot: what a locked SQLite database makes a real server do,
which a real server cannot be made to do on demand.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.support.httpserver import Request, Response, serve

pytestmark = pytest.mark.integration

LIMIT = "busy-test-limit"
BUSY = 3  # 503s before the slot is granted: pauses of ~50, ~100, ~200 ms


@dataclass
class Api:
    """What the fake API was asked, in order: (method, path, time)."""

    url: str
    calls: list[tuple[str, str, float]] = field(default_factory=list)
    lease: str = field(default_factory=lambda: str(uuid.uuid4()))
    released: list[str] = field(default_factory=list)

    def posts(self, suffix: str) -> list[float]:
        return [t for m, p, t in self.calls if m == "POST" and p.endswith(suffix)]


@pytest.fixture
def busy_api() -> Iterator[Api]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    lock = threading.Lock()
    api = Api("")

    def handle(r: Request) -> Response:
        with lock:
            api.calls.append((r.method, r.path, time.monotonic()))
            if r.method == "GET" and r.path.endswith(f"/v2/concurrency_limits/{LIMIT}"):
                return Response(200, json.dumps(_limit()))
            if r.path.endswith("/v2/concurrency_limits/increment-with-lease"):
                if len(api.posts("increment-with-lease")) <= BUSY:
                    return Response(503, json.dumps({"exception_message": "Service Unavailable"}))
                return Response(200, json.dumps({"lease_id": api.lease, "limits": []}))
            if r.path.endswith("/v2/concurrency_limits/decrement-with-lease"):
                api.released.append(json.loads(r.body)["lease_id"])
                return Response(200, b"null")
            return Response(404, json.dumps({"detail": "Not Found"}))

    with serve(handle) as base:
        api.url = base + "/api"
        with temporary_settings(updates={PREFECT_API_URL: api.url}):
            yield api


def _limit() -> dict[str, object]:
    now = "2026-11-30T00:00:00Z"
    return {"id": str(uuid.uuid4()), "created": now, "updated": now, "name": LIMIT,
            "limit": 1, "active": True, "active_slots": 0, "slot_decay_per_second": 0.0}


def test_a_busy_server_is_asked_again_soon_and_the_slot_is_taken(busy_api: Api) -> None:
    from tasks._context import concern_slot

    t0 = time.monotonic()
    with concern_slot(LIMIT, timeout_s=60):
        held = time.monotonic()
        assert len(busy_api.posts("increment-with-lease")) == BUSY + 1  # 3 x 503, then 200
        assert busy_api.released == []
    took = held - t0
    assert busy_api.released == [busy_api.lease]  # given back on leaving the block
    tries = busy_api.posts("increment-with-lease")
    pauses = [b - a for a, b in itertools.pairwise(tries)]
    posts = [p.rsplit("/", 1)[1] for m, p, _ in busy_api.calls if m == "POST"]
    assert posts == ["increment-with-lease"] * (BUSY + 1) + ["decrement-with-lease"], posts
    print(f"slot after {BUSY} busy answers: {took:.2f}s, pauses {[f'{p:.3f}' for p in pauses]}")
    # Asked again after short pauses (jittered 50 ms, 100 ms, 200 ms), not the Prefect
    # client's 2 s + 4 s + 8 s: the whole wait is far under the client's first retry.
    assert all(p >= 0.02 for p in pauses), pauses
    assert took < 2.0, took

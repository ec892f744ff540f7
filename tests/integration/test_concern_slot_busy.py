"""Concern slots and rate tokens taken from a server that is busy: a SQLite-backed Prefect
server answers 503 while its database is locked (and may reset a kept-alive connection under
a burst); `tasks._context` asks again after 50 ms, doubling to 1 s, instead of the Prefect
client's own 2 s, 4 s, ... sleeps.

The server is a real HTTP server on 127.0.0.1 that speaks the calls a slot or a token needs
(the limit by name, increment[-with-lease], decrement-with-lease) and answers the increment
with BUSY failures before it grants it: what a locked SQLite database makes a real server do,
which a real server cannot be made to do on demand.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.support.httpserver import Request, Response, serve

pytestmark = pytest.mark.integration

LIMIT = "busy-test-limit"
BUSY = 3  # failed answers before the slot is granted: pauses of ~50, ~100, ~200 ms
# Prefect's client sleeps 2 s before its first retry of a 503: the three retries here, all
# together, take less than that one.
CLIENT_FIRST_RETRY_S = 2.0


@dataclass
class Api:
    """The fake API: what it was asked, in order (method, path, time), and how it fails."""

    url: str = ""
    failure: Callable[[], Response] = lambda: Response(503)
    calls: list[tuple[str, str, float]] = field(default_factory=list)
    lease: str = field(default_factory=lambda: str(uuid.uuid4()))
    released: list[str] = field(default_factory=list)

    def posts(self) -> list[tuple[str, float]]:
        return [(p.rsplit("/", 1)[1], t) for m, p, t in self.calls if m == "POST"]


def _busy() -> Response:
    return Response(503, json.dumps({"exception_message": "Service Unavailable"}))


def _reset() -> Response:
    return Response(drop=True)  # the connection closed without an answer


@pytest.fixture(params=[_busy, _reset], ids=["503", "reset"])
def busy_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    lock = threading.Lock()
    api = Api(failure=request.param)

    def handle(r: Request) -> Response:
        with lock:
            api.calls.append((r.method, r.path, time.monotonic()))
            if r.method == "GET" and r.path.endswith(f"/v2/concurrency_limits/{LIMIT}"):
                return Response(200, json.dumps(_limit()))
            if r.path.endswith(("/concurrency_limits/increment-with-lease",
                                "/concurrency_limits/increment")):
                if len(api.posts()) <= BUSY:
                    return api.failure()
                if r.path.endswith("-with-lease"):
                    return Response(200, json.dumps({"lease_id": api.lease, "limits": []}))
                return Response(200, json.dumps([{"id": str(uuid.uuid4()), "name": LIMIT,
                                                  "limit": 1}]))
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
            "limit": 1, "active": True, "active_slots": 0, "slot_decay_per_second": 1.0}


def _asked_again_soon(api: Api, path: str) -> None:
    tries = [t for p, t in api.posts() if p == path]
    assert len(tries) == BUSY + 1, api.posts()  # BUSY failures, then granted
    pauses = [b - a for a, b in itertools.pairwise(tries)]
    print(f"{path} after {BUSY} failures: pauses {[f'{p:.3f}' for p in pauses]}")
    assert all(p >= 0.02 for p in pauses), pauses  # paused, not hammered
    assert sum(pauses) < CLIENT_FIRST_RETRY_S, pauses


def test_a_slot_is_taken_from_a_busy_server_and_given_back(busy_api: Api) -> None:
    from tasks._context import concern_slot

    with concern_slot(LIMIT, timeout_s=60):
        assert [p for p, _ in busy_api.posts()] == ["increment-with-lease"] * (BUSY + 1)
        assert busy_api.released == []
    assert busy_api.released == [busy_api.lease]  # given back on leaving the block
    assert [p for p, _ in busy_api.posts()][-1] == "decrement-with-lease"
    _asked_again_soon(busy_api, "increment-with-lease")


def test_a_rate_token_is_taken_from_a_busy_server(busy_api: Api) -> None:
    from tasks._context import rate_token

    rate_token(LIMIT, timeout_s=60)
    assert [p for p, _ in busy_api.posts()] == ["increment"] * (BUSY + 1)  # nothing to give back
    _asked_again_soon(busy_api, "increment")

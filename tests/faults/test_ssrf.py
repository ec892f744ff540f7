"""SSRF through every fetcher: redirect chains from a 'public' board to private addresses.

The board (127.0.0.1, let through by the narrow allow-list `allowed_networks=127.0.0.1/32`,
as a public host would be) redirects, directly or after a chain of hops, to loopback
(127.0.0.2, where a private listener waits on the board's port, and ::1), IPv4-mapped and
IPv4-compatible IPv6, NAT64, link-local (cloud metadata), CGNAT, the unspecified address,
names that resolve to those, a name answering [public, private], and non-http schemes. Each
of the three fetchers (sources, enrichment, recheck) must refuse every case, and the private
listener must see no request at all. A resolver answering public then private (DNS
rebinding) must not get a connection onto the private address either.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hirehound import maintenance, net
from hirehound.enrichment import BlockedAddress, OrgQuery, SafeClient
from hirehound.enrichment._sources import ClearbitSource, WebsiteSource
from hirehound.errors import SourceError, SourceUnavailable
from hirehound.settings import Settings
from hirehound.sources._http import fetch_conditional
from hirehound.storage import db
from tests.factories import add_posting
from tests.support.httpserver import Request, Response, serve

pytestmark = pytest.mark.integration

PRIVATE_V4 = "127.0.0.2"
ALLOW = ["127.0.0.1/32"]  # the board stands in for a public host
# Figures for tests/faults/README.md, printed at the end of the module.
TALLY: dict[str, int] = {"cases": 0, "refused": 0}


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, hits: list[str]) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.hits = hits

        class H(BaseHTTPRequestHandler):
            def _do(self) -> None:
                hits.append(f"{host} {self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"secret")

            do_GET = do_HEAD = _do

            def log_message(self, *args: object) -> None:
                pass

        super().__init__((host, port), H)


@contextlib.contextmanager
def _private_listeners(port: int) -> Iterator[list[str]]:
    """What a refused fetch would have reached: 127.0.0.2 and ::1 on the board's port."""
    hits: list[str] = []
    servers = []
    for host in (PRIVATE_V4, "::1"):
        with contextlib.suppress(OSError):  # no IPv6 loopback: that case is still refused
            servers.append(_Listener(host, port, hits))
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        yield hits
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


@dataclass
class World:
    base: str  # http://board.test:<port>
    port: int
    private_hits: list[str]
    board_hits: list[Request]
    resolved: list[str] = field(default_factory=list)
    rebind_answers: list[str] = field(default_factory=list)

    def resolver(self, host: str, port: int) -> list[str]:
        self.resolved.append(host)
        names = {
            "board.test": ["127.0.0.1"],
            "other.test": ["127.0.0.1"],
            "private.test": [PRIVATE_V4],
            "metadata.test": ["169.254.169.254"],
            "cgnat.test": ["100.64.0.1"],
            "mixed.test": ["127.0.0.1", PRIVATE_V4],
        }
        if host == "rebind.test":
            return [self.rebind_answers.pop(0) if len(self.rebind_answers) > 1
                    else self.rebind_answers[0]]
        return names.get(host) or net.system_resolver(host, port)

    def targets(self) -> dict[str, str]:
        p = self.port
        return {
            "loopback": f"http://{PRIVATE_V4}:{p}/secret",
            "loopback-name": f"http://private.test:{p}/secret",
            "loopback-decimal": f"http://2130706434:{p}/secret",  # 127.0.0.2 as one number
            "ipv6-loopback": f"http://[::1]:{p}/secret",
            "ipv4-mapped": f"http://[::ffff:{PRIVATE_V4}]:{p}/secret",
            "ipv4-compatible": f"http://[::7f00:2]:{p}/secret",
            "nat64": f"http://[64:ff9b::7f00:2]:{p}/secret",
            "link-local": "http://169.254.169.254/latest/meta-data/",
            "link-local-name": "http://metadata.test/latest/meta-data/",
            "cgnat": f"http://100.64.0.1:{p}/secret",
            "cgnat-name": f"http://cgnat.test:{p}/secret",
            "unspecified": f"http://0.0.0.0:{p}/secret",
            "public-and-private-answers": f"http://mixed.test:{p}/secret",
            "file-scheme": "file:///etc/passwd",
            "gopher-scheme": f"gopher://{PRIVATE_V4}:{p}/_",
        }

    def starts(self) -> dict[str, str]:
        """Each target reached by one redirect and by a chain of three hops."""
        out = {}
        for name in self.targets():
            out[f"{name} (1 hop)"] = f"{self.base}/to/{name}/0"
            out[f"{name} (3 hops)"] = f"{self.base}/to/{name}/2"
        return out


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    state: dict[str, Any] = {}
    hits: list[Request] = []

    def board(req: Request) -> Response:
        hits.append(req)
        w: World = state["world"]
        parts = req.path.strip("/").split("/")
        if parts[0] == "to":  # /to/<target>/<hops left>
            name, left = parts[1], int(parts[2])
            location = f"/to/{name}/{left - 1}" if left else w.targets()[name]
            return Response(302, headers={"Location": location})
        if parts[0] == "rebind":  # same host again, on a new connection
            return Response(302, headers={"Location": "/board", "Connection": "close"})
        if parts[0] == "api":  # /api/<host>/...: an API that sends callers to <host>
            return Response(302, headers={"Location": f"http://{parts[1]}:{w.port}/landing"})
        return Response(200, b'{"ok": true}', {"Content-Type": "application/json"})

    with serve(board) as raw_base:
        port = int(raw_base.rsplit(":", 1)[1])
        with _private_listeners(port) as private:
            w = World(f"http://board.test:{port}", port, private, hits)
            state["world"] = w
            yield w
    print(f"\n[ssrf] cases tried: {TALLY['cases']}, refused: {TALLY['refused']}, "
          f"requests reaching the private listener: {len(private)}")


def _settings(tmp_path: Any) -> Settings:
    return Settings(home=tmp_path, allowed_networks=ALLOW, http_timeout_s=2.0,
                    http_deadline_s=5.0)


def test_sources_fetcher_refuses_every_case(world: World, tmp_path: Any) -> None:
    settings = _settings(tmp_path)
    with net.client(settings, resolver=world.resolver) as client:
        for case, url in world.starts().items():
            TALLY["cases"] += 1
            with pytest.raises(SourceError) as info:
                fetch_conditional(url, settings=settings, client=client)
            # Refused, not "unavailable": a refusal is never retried.
            assert not isinstance(info.value, SourceUnavailable), (case, info.value)
            TALLY["refused"] += 1
    assert world.private_hits == []


def test_enrichment_fetcher_refuses_every_case(world: World) -> None:
    client = SafeClient(allowed_networks=tuple(ALLOW), timeout=2.0, resolver=world.resolver)
    with client:
        for url in world.starts().values():
            TALLY["cases"] += 1
            with pytest.raises(BlockedAddress):
                client.get(url)
            TALLY["refused"] += 1
        # Through a source as production uses it: the website lookup of an organization.
        for url in world.starts().values():
            TALLY["cases"] += 1
            with pytest.raises(BlockedAddress):
                WebsiteSource(client).lookup(OrgQuery(1, "Acme", "acme", website=url))
            TALLY["refused"] += 1
    assert world.private_hits == []


def test_recheck_fetcher_refuses_every_case(world: World, clean_db: Settings) -> None:
    db.configure(clean_db)
    starts = world.starts()
    ids = {case: add_posting(f"ssrf-{i}", url=url) for i, (case, url) in enumerate(starts.items())}
    checker = maintenance.HttpLinkChecker(
        per_second=500, allowed_networks=ALLOW, resolver=world.resolver, deadline_s=5.0
    )
    with checker:
        result = maintenance.recheck_postings(
            db.transaction, checker, now=datetime.now(UTC), limit=len(ids) + 10
        )
    TALLY["cases"] += len(ids)
    TALLY["refused"] += result.unknown
    assert (result.checked, result.unknown, result.alive, result.gone) == (len(ids), len(ids), 0, 0)
    assert world.private_hits == []
    # The same checker reaches the board itself: the refusals above were not blanket ones.
    with maintenance.HttpLinkChecker(per_second=500, allowed_networks=ALLOW,
                                     resolver=world.resolver) as ok:
        assert ok(f"{world.base}/board").outcome == "alive"


def test_dns_rebinding_gets_no_connection_to_the_private_address(world: World) -> None:
    """The resolver answers public (127.0.0.1, allowed) first and private afterwards."""
    policy = net.AddressPolicy.of(allow=ALLOW, resolver=world.resolver)
    # One request: one lookup, and the connection goes where that lookup said.
    world.rebind_answers[:] = ["127.0.0.1", PRIVATE_V4]
    before = len(world.board_hits)
    world.resolved.clear()
    with net.GuardedClient(policy, timeout=2.0) as client:
        resp = net.fetch(client, f"http://rebind.test:{world.port}/board")
    assert resp.status == 200 and resp.body == b'{"ok": true}'
    assert world.resolved == ["rebind.test"]  # resolved once, not again to connect
    assert len(world.board_hits) == before + 1
    # The board closes the connection and redirects to itself: the new connection resolves
    # again, gets the private answer, and is refused before connecting.
    world.rebind_answers[:] = ["127.0.0.1", PRIVATE_V4]
    world.resolved.clear()
    for fetcher in ("sources", "enrichment", "recheck"):
        TALLY["cases"] += 1
        world.rebind_answers[:] = ["127.0.0.1", PRIVATE_V4]
        url = f"http://rebind.test:{world.port}/rebind"
        if fetcher == "sources":
            with net.GuardedClient(policy, timeout=2.0) as client, pytest.raises(SourceError):
                fetch_conditional(url, settings=Settings(allowed_networks=ALLOW), client=client)
        elif fetcher == "enrichment":
            with SafeClient(allowed_networks=tuple(ALLOW), resolver=world.resolver) as sc, \
                    pytest.raises(BlockedAddress):
                sc.get(url)
        else:
            with maintenance.HttpLinkChecker(per_second=500, allowed_networks=ALLOW,
                                             resolver=world.resolver) as checker:
                assert checker(url).outcome == "unknown"
        TALLY["refused"] += 1
    assert world.resolved.count("rebind.test") == 6  # two connections per fetcher
    assert world.private_hits == []


def test_credentials_do_not_follow_a_redirect_to_another_origin(world: World) -> None:
    """An API answering 302 to another host must not receive the API key there."""
    with SafeClient(allowed_networks=tuple(ALLOW), resolver=world.resolver) as client:
        for target, keeps in (("other.test", False), ("board.test", True)):
            world.board_hits.clear()
            src = ClearbitSource(client, "sekret-key", base_url=f"{world.base}/api/{target}")
            with contextlib.suppress(Exception):
                src.lookup(OrgQuery(1, "Acme", "acme", domain="acme.com"))
            first, landing = world.board_hits[0], world.board_hits[-1]
            assert first.headers.get("authorization") == "Bearer sekret-key"
            assert landing.path == "/landing"
            assert ("authorization" in landing.headers) == keeps, (target, landing.headers)
    with SafeClient(allowed_networks=tuple(ALLOW), resolver=world.resolver) as client:
        world.board_hits.clear()
        client.get(f"{world.base}/api/other.test",
                   headers={"X-Api-Key": "k1", "X-cb-user-key": "k2", "Cookie": "s=1",
                            "Accept": "application/json"})
        landing = world.board_hits[-1]
        assert landing.path == "/landing"
        assert not {"x-api-key", "x-cb-user-key", "cookie"} & set(landing.headers)
        assert landing.headers.get("accept") == "application/json"

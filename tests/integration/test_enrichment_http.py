"""The enrichment HTTP client against real local servers: healthy, slow, 429, 500, dropping."""

from __future__ import annotations

import threading
import time

import pytest

from hirehound.enrichment import BlockedAddress, OrgQuery, SafeClient, check_url
from hirehound.enrichment._sources import ClearbitSource, WebsiteSource
from hirehound.errors import EnrichmentDataError, EnrichmentUnavailable
from tests.support.httpserver import Request, Response, serve

pytestmark = pytest.mark.integration

HOME = b"""<!doctype html><html><head><title>Acme Rockets</title>
<meta name="description" content="Rockets for everyone.">
<meta property="og:image" content="/og.png">
<link rel="icon" href="/icon.png">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
 {"@type": "WebSite", "name": "x"},
 {"@type": "Organization", "name": "Acme Rockets",
  "logo": {"@type": "ImageObject", "url": "/logo.png"},
  "sameAs": ["https://www.linkedin.com/company/acme"], "foundingDate": "2011-05-01",
  "numberOfEmployees": {"@type": "QuantitativeValue", "value": 340},
  "address": {"@type": "PostalAddress", "addressLocality": "Denver", "addressRegion": "CO",
              "addressCountry": "US"}}]}</script>
<script type="application/ld+json">{broken json</script>
</head><body>hi</body></html>"""


def client(**kw: object) -> SafeClient:
    opts: dict[str, object] = {"allow_private": True, "timeout": 1.0, "backoff_base": 0.01}
    opts.update(kw)
    return SafeClient(**opts)  # type: ignore[arg-type]


def org(url: str) -> OrgQuery:
    return OrgQuery(1, "Acme Rockets", "acme rockets", website=url)


def test_healthy_website_gives_homepage_metadata() -> None:
    with serve(lambda r: Response(200, HOME, {"Content-Type": "text/html"})) as base:
        result = WebsiteSource(client()).lookup(org(base + "/"))
    assert result is not None
    f = result.fields
    assert f["name"] == "Acme Rockets" and f["description"] == "Rockets for everyone."
    assert f["logo_url"] == base + "/logo.png"
    assert f["employee_count"] == 340 and f["founded_year"] == 2011
    assert (f["hq_city"], f["hq_region"], f["hq_country"]) == ("Denver", "CO", "US")
    assert f["same_as"] == ["https://www.linkedin.com/company/acme"]
    assert f["icon_urls"][0] == base + "/icon.png"


def test_slow_server_times_out_and_is_retried_then_unavailable() -> None:
    calls = []

    def slow(r: Request) -> Response:
        calls.append(r)
        return Response(200, HOME, delay_s=1.0)

    with serve(slow) as base:
        start = time.perf_counter()
        with pytest.raises(EnrichmentUnavailable):
            client(timeout=0.2, attempts=2).get(base + "/")
    assert len(calls) == 2 and time.perf_counter() - start < 3


def test_429_retry_after_is_honoured() -> None:
    seen: list[float] = []

    def limited(r: Request) -> Response:
        seen.append(time.monotonic())
        if len(seen) == 1:
            return Response(429, b"slow down", {"Retry-After": "1"})
        return Response(200, HOME, {"Content-Type": "text/html"})

    with serve(limited) as base:
        got = client(backoff_base=5.0).get(base + "/")  # the header, not the 5 s backoff, rules
    assert got.status == 200 and len(seen) == 2
    assert 0.9 <= seen[1] - seen[0] < 3


def test_500_is_retried_with_backoff_then_gives_up() -> None:
    calls: list[float] = []

    def broken(r: Request) -> Response:
        calls.append(time.monotonic())
        return Response(500, b"oops")

    with serve(broken) as base, pytest.raises(EnrichmentUnavailable, match="HTTP 500"):
        client(attempts=3).get(base + "/")
    assert len(calls) == 3


def test_dropped_connection_is_retried_and_recovers() -> None:
    calls = []

    def flaky(r: Request) -> Response:
        calls.append(r)
        return Response(drop=True) if len(calls) < 3 else Response(200, b"ok")

    with serve(flaky) as base:
        assert client(attempts=4).get(base + "/").content == b"ok"
    assert len(calls) == 3


def test_bad_data_is_not_retried() -> None:
    calls = []

    def notfound(r: Request) -> Response:
        calls.append(r)
        return Response(403, b"no")

    with serve(notfound) as base:
        with pytest.raises(EnrichmentDataError):
            client().get(base + "/")
        # A JSON API answering HTML is bad data too.
        src = ClearbitSource(client(), "k", base_url=base)
        with pytest.raises(EnrichmentDataError):
            src.lookup(OrgQuery(1, "Acme", "acme", domain="acme.com"))
    assert len(calls) == 2


def test_redirects_capped_and_each_hop_checked() -> None:
    def hops(r: Request) -> Response:
        n = int(r.path.strip("/") or 0)
        return Response(302, headers={"Location": f"/{n + 1}"}) if n < 10 else Response(200, b"x")

    with serve(hops) as base:
        with pytest.raises(EnrichmentDataError, match="redirects"):
            client(max_redirects=3).get(base + "/")
        assert client(max_redirects=3).get(base + "/7").content == b"x"

    # A public page redirecting to loopback is refused at the second hop.
    with serve(lambda r: Response(302, headers={"Location": "http://127.0.0.1:9/"})) as base:
        strict = SafeClient(allow_private=False, timeout=1.0)
        with pytest.raises(BlockedAddress):
            # The first hop is itself loopback here: refused before any request is made.
            strict.get(base + "/")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata: link-local
        "http://[::1]/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
    ],
)
def test_private_addresses_refused_unless_allowed(url: str) -> None:
    with pytest.raises(BlockedAddress):
        check_url(url, allow_private=False)


def test_body_cap() -> None:
    big = b"<html>" + b"x" * 50_000
    with serve(lambda r: Response(200, big, {"Content-Type": "text/html"})) as base:
        got = client(max_bytes=10_000).get(base + "/")
        assert got.truncated and len(got.content) == 10_000
        with pytest.raises(EnrichmentDataError, match="larger"):
            client(max_bytes=10_000).get(base + "/", truncate=False)


def test_clearbit_style_client_maps_fields() -> None:
    payload = (
        b'{"name": "Acme", "domain": "acme.com", "description": "Rockets",'
        b' "category": {"sector": "Industrials", "industry": "Aerospace & Defense"},'
        b' "metrics": {"employees": 1200}, "foundedYear": 1999,'
        b' "geo": {"city": "Denver", "state": "Colorado", "countryCode": "US"},'
        b' "logo": "https://logo.example/acme.png"}'
    )
    auth: list[str] = []
    lock = threading.Lock()

    def api(r: Request) -> Response:
        with lock:
            auth.append(r.headers.get("authorization", ""))
        if r.query.get("domain") == ["acme.com"]:
            return Response(200, payload, {"Content-Type": "application/json"})
        return Response(404, b"{}")

    with serve(api) as base:
        src = ClearbitSource(client(), "sekret", base_url=base)
        got = src.lookup(OrgQuery(1, "Acme", "acme", domain="acme.com"))
        assert src.lookup(OrgQuery(2, "Nope", "nope", domain="nope.com")) is None
    assert got is not None and auth[0] == "Bearer sekret"
    assert got.fields["employee_count"] == 1200 and "Aerospace" in got.fields["category"]

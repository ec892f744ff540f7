"""The guarded HTTP layer's pure parts: the address classifier, Retry-After, URL checks."""

from __future__ import annotations

import email.utils
import ipaddress

import httpcore
import httpx
import pytest

from hirehound import net
from hirehound.net._transport import GuardedBackend, GuardedTransport

# (address, refused?) — every way we know to spell "not the public internet", and a few
# public addresses that must stay reachable.
CLASSIFIER_TABLE = [
    ("8.8.8.8", False),
    ("93.184.216.34", False),
    ("2606:4700:4700::1111", False),  # public IPv6
    ("127.0.0.1", True),
    ("127.255.255.254", True),  # all of 127/8 is loopback
    ("10.0.0.5", True),
    ("172.16.0.1", True),
    ("192.168.1.1", True),
    ("169.254.169.254", True),  # cloud metadata: link-local
    ("100.64.0.1", True),  # CGNAT: is_private is False, is_global False on 3.11
    ("100.127.255.254", True),
    ("0.0.0.0", True),  # unspecified: Linux connects it to loopback
    ("0.1.2.3", True),
    ("224.0.0.1", True),  # multicast: is_global is True for some of 224/4
    ("239.255.255.250", True),
    ("240.0.0.1", True),  # reserved
    ("255.255.255.255", True),
    ("192.0.2.10", True),  # documentation
    ("198.18.0.1", True),  # benchmarking
    ("192.88.99.1", True),  # 6to4 relay anycast
    ("::1", True),
    ("::", True),
    ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
    ("::ffff:8.8.8.8", True),  # IPv4-mapped public: still refused (no business here)
    ("::ffff:169.254.169.254", True),
    ("::7f00:1", True),  # IPv4-compatible ::127.0.0.1 — is_global says True
    ("64:ff9b::7f00:1", True),  # NAT64 of 127.0.0.1 — is_global says True
    ("64:ff9b::808:808", True),  # NAT64 of a public address: refused too
    ("64:ff9b:1::1", True),  # local-use NAT64
    ("2002:7f00:1::1", True),  # 6to4 of 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True),  # Teredo
    ("fe80::1", True),
    ("fc00::1", True),
    ("fd12:3456::1", True),
    ("fec0::1", True),  # site-local (deprecated)
    ("ff02::1", True),  # multicast
    ("2001:db8::1", True),  # documentation
    ("100::1", True),  # discard-only
]


@pytest.mark.parametrize(("address", "refused"), CLASSIFIER_TABLE)
def test_address_classifier(address: str, refused: bool) -> None:
    reason = net.refusal_reason(ipaddress.ip_address(address))
    assert (reason is not None) == refused, (address, reason)


def test_classifier_table_figures() -> None:
    refused = sum(r for _, r in CLASSIFIER_TABLE)
    print(f"[net] classifier table: {len(CLASSIFIER_TABLE)} addresses, {refused} refused")
    assert refused == len(CLASSIFIER_TABLE) - 3


def test_mapped_reason_names_the_embedded_address() -> None:
    assert "127.0.0.1" in (net.refusal_reason(ipaddress.ip_address("::ffff:127.0.0.1")) or "")


def test_policy_refuses_a_host_when_any_answer_is_refused() -> None:
    policy = net.AddressPolicy.of(resolver=lambda host, port: ["8.8.8.8", "10.0.0.1"])
    with pytest.raises(net.BlockedAddress, match=r"10\.0\.0\.1"):
        policy.addresses("mixed.example", 443)


def test_allow_list_is_narrow() -> None:
    policy = net.AddressPolicy.of(allow=["127.0.0.1/32"])
    policy.check_ip(ipaddress.ip_address("127.0.0.1"), "127.0.0.1")
    with pytest.raises(net.BlockedAddress):
        policy.check_ip(ipaddress.ip_address("127.0.0.2"), "127.0.0.2")
    everything = net.AddressPolicy.of(allow_private=True)
    everything.check_ip(ipaddress.ip_address("169.254.169.254"), "x")


def test_settings_reject_a_bad_allowed_network() -> None:
    from pydantic import ValidationError

    from hirehound.settings import Settings

    with pytest.raises(ValidationError, match="not-a-net"):
        Settings(allowed_networks=["not-a-net"])


def test_transport_keeps_the_guarded_backend() -> None:
    """GuardedTransport swaps httpx's pool for one on GuardedBackend (a private seam of
    httpx): if an httpx upgrade moves it, this fails instead of the guard going quiet."""
    transport = GuardedTransport(net.AddressPolicy())
    pool = transport._pool
    assert isinstance(pool, httpcore.ConnectionPool)
    assert isinstance(pool._network_backend, GuardedBackend)


def test_fetch_refuses_a_plain_client() -> None:
    with httpx.Client() as plain, pytest.raises(TypeError):
        net.fetch(plain, "http://example.com/")


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),  # not RFC 9110, but sent in the wild
        ("-3", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),  # in the past: now
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Wed, 32 Oct 2015 07:28:00 GMT", None),  # no such day
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    got = net.parse_retry_after(value, now=NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1.0)


def test_retry_policy_waits_for_retry_after_then_gives_up() -> None:
    calls = []

    def always() -> None:
        calls.append(1)
        raise net.Retryable("HTTP 429", retry_after=0.01, status=429)

    with pytest.raises(net.Retryable):
        net.RetryPolicy(attempts=3, initial_s=5.0).call(always)  # 5 s backoff never used
    assert len(calls) == 3
    capped = net.RetryPolicy(retry_after_cap_s=2.0)
    assert capped.wait(_state(net.Retryable("x", retry_after=900))) == 2.0  # type: ignore[arg-type]


def _state(exc: BaseException) -> object:
    import tenacity

    state = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
    state.set_exception((type(exc), exc, None))
    return state


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://example.com/jobs/1", True),
        ("http://example.com", True),
        ("  https://example.com/x  ", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("file:///etc/passwd", False),
        ("ftp://example.com/x", False),
        ("//example.com/x", False),  # scheme-relative
        ("/jobs/1", False),
        ("https://", False),
        ("https://exa mple.com/", False),
        ("https://example.com/\x00", False),
        ("https://example.com:99999/", False),
        ("https://example.com/" + "a" * 3000, False),
        (None, False),
        (42, False),
    ],
)
def test_safe_http_url(value: object, ok: bool) -> None:
    assert (net.safe_http_url(value) is not None) == ok
    assert (net.url_problem(value) is None) == ok


def test_redact_url() -> None:
    assert net.redact_url("https://u:pw@h.example/x?api_key=s3&q=1") == (
        "https://h.example/x?api_key=%2A%2A%2A&q=1"
    )


def test_posting_url_keeps_http_only() -> None:
    from hirehound.records import SourcePosting

    assert SourcePosting("s", "1", url=" https://example.com/j/1 ").url == "https://example.com/j/1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "x" * 3000):
        posting = SourcePosting("s", "1", url=bad, payload={"url": bad})
        assert posting.url is None and posting.payload["url"] == bad  # the raw keeps it


def test_merged_organization_urls_keep_http_only() -> None:
    from hirehound.enrichment import merge_results

    merged = merge_results([
        {"source": "website", "fields": {
            "website": "javascript:alert(1)", "logo_url": "data:image/png;base64,AAAA",
            "same_as": ["https://www.linkedin.com/company/acme", "javascript:x"],
            "icon_urls": ["vbscript:y"], "og_image": "https://acme.example/og.png"}},
        {"source": "clearbit", "fields": {"website": "https://acme.example"}},
    ])
    v = merged.values
    assert v["website"] == "https://acme.example"  # the bad one dropped, the next source wins
    assert "logo_url" not in v and "icon_urls" not in v
    assert v["same_as"] == ["https://www.linkedin.com/company/acme"]
    assert v["og_image"] == "https://acme.example/og.png"
    assert sorted(d["field"] for d in merged.dropped) == [
        "icon_urls", "logo_url", "same_as", "website"]


def test_a_304_is_an_answer_not_a_redirect() -> None:
    """httpx 0.28 calls every 3xx a redirect; a 304 must come back to the caller."""
    from tests.support.httpserver import Response, serve

    with serve(lambda r: Response(304, b"", {"ETag": '"v1"'})) as base, net.GuardedClient(
        net.AddressPolicy.of(allow=["127.0.0.1/32"]), timeout=2.0
    ) as client:
        resp = net.fetch(client, base + "/board", headers={"If-None-Match": '"v1"'})
    assert resp.status == 304 and resp.headers["etag"] == '"v1"'

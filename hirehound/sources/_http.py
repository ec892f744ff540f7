"""HTTP fetching for sources: polite, bounded, retried, and refusing private addresses."""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from hirehound.errors import SourceError, SourceFormatError, SourceUnavailable
from hirehound.settings import Settings

log = logging.getLogger(__name__)

# Module constants rather than settings: tests shorten them; operators rarely need to.
MAX_RESPONSE_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 5
RETRY_ATTEMPTS = 4
RETRY_INITIAL_S = 0.5
RETRY_MAX_S = 30.0
# A Retry-After longer than this is cut: a run should not sleep for an hour on one board.
RETRY_AFTER_CAP_S = 120.0
ACCEPT = "application/json, application/ld+json;q=0.9, text/html;q=0.8, */*;q=0.5"


class _Retryable(Exception):
    """A failure worth another attempt (network error, 5xx, 429)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _Retryable) and exc.retry_after is not None:
        return min(exc.retry_after, RETRY_AFTER_CAP_S)
    return wait_exponential_jitter(initial=RETRY_INITIAL_S, max=RETRY_MAX_S)(state)


def check_address(url: str, settings: Settings) -> None:
    """Refuse URLs whose host resolves to a private, loopback or link-local address.

    The check resolves the name once; a host that re-resolves differently between this check
    and the connection (DNS rebinding) is not caught. Fine for job boards, not a sandbox.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SourceFormatError(f"{url}: not an http(s) URL")
    if settings.allow_private_addresses:
        return
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise _Retryable(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for ip in addresses:
        mapped = getattr(ip, "ipv4_mapped", None)
        ip = mapped or ip
        if not ip.is_global or ip.is_multicast:
            raise SourceError(
                f"{url}: refusing to fetch from non-public address {ip} "
                "(set HIREHOUND_ALLOW_PRIVATE_ADDRESSES=true to allow)"
            )


@dataclass(frozen=True)
class Fetched:
    """A response body, or a 304 for a conditional request, with the validators to send next."""

    url: str  # after redirects
    status: int  # 200 (any 2xx) or 304
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


BeforeRequest = Callable[[str], None]


def _get_once(
    client: httpx.Client,
    url: str,
    settings: Settings,
    validators: dict[str, str],
    before_request: BeforeRequest | None,
) -> Fetched:
    headers = {"User-Agent": settings.user_agent, "Accept": ACCEPT}
    for _ in range(MAX_REDIRECTS + 1):
        check_address(url, settings)
        if before_request is not None:
            before_request(url)  # rate-limit slot and host politeness, once per request
        try:
            with client.stream(
                "GET", url, headers={**headers, **validators},
                timeout=settings.http_timeout_s, follow_redirects=False,
            ) as resp:
                if resp.is_redirect and resp.headers.get("location"):
                    url = urljoin(str(resp.url), resp.headers["location"])
                    continue
                if resp.status_code == 304 and validators:
                    return Fetched(url, 304, b"", resp.headers.get("etag"),
                                   resp.headers.get("last-modified"))
                body = _body(resp, url)
                return Fetched(url, resp.status_code, body, resp.headers.get("etag"),
                               resp.headers.get("last-modified"))
        except httpx.TransportError as exc:  # connect/read errors and timeouts
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
    raise SourceFormatError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _body(resp: httpx.Response, url: str) -> bytes:
    status = resp.status_code
    if status == 429 or status >= 500:
        raise _Retryable(f"HTTP {status}", parse_retry_after(resp.headers.get("retry-after")))
    if status >= 400:
        raise SourceFormatError(f"{url}: HTTP {status} {resp.reason_phrase}".rstrip())
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise SourceFormatError(f"{url}: response of {declared} bytes is over the size cap")
    buf = bytearray()
    for chunk in resp.iter_bytes():
        buf += chunk
        # Counted after decompression, so a gzip bomb stops here too.
        if len(buf) > MAX_RESPONSE_BYTES:
            raise SourceFormatError(f"{url}: response over {MAX_RESPONSE_BYTES} bytes")
    return bytes(buf)


def fetch(url: str, *, settings: Settings, client: httpx.Client | None = None) -> bytes:
    """GET a URL's body; retries network errors, 5xx and 429 (honouring Retry-After).

    Raises SourceUnavailable after the last attempt, SourceFormatError on other 4xx.
    """
    return fetch_conditional(url, settings=settings, client=client).body


def fetch_conditional(
    url: str,
    *,
    settings: Settings,
    client: httpx.Client | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    before_request: BeforeRequest | None = None,
) -> Fetched:
    """`fetch` with validators from the last response: an unchanged board costs one 304.

    `before_request(url)` runs before every request, retries and redirect hops included, so
    a crawler can take a rate-limit slot and wait out the host's politeness interval there.
    """
    validators = {}
    if etag:
        validators["If-None-Match"] = etag
    if last_modified:
        validators["If-Modified-Since"] = last_modified
    own = client is None
    if client is None:
        client = httpx.Client(
            timeout=settings.http_timeout_s, headers={"User-Agent": settings.user_agent}
        )
    retrying = Retrying(
        stop=stop_after_attempt(RETRY_ATTEMPTS),
        wait=_wait,
        retry=retry_if_exception_type(_Retryable),
        before_sleep=_log_retry,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                return _get_once(client, url, settings, validators, before_request)
    except _Retryable as exc:
        raise SourceUnavailable(
            f"{url}: {exc.reason} (gave up after {RETRY_ATTEMPTS} attempts)"
        ) from exc
    finally:
        if own:
            client.close()
    raise AssertionError("unreachable")  # pragma: no cover


def _log_retry(state: RetryCallState) -> None:
    exc: Any = state.outcome.exception() if state.outcome else None
    log.warning("fetch attempt %d failed: %s; retrying", state.attempt_number, exc)

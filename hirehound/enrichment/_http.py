"""A guarded HTTP client for enrichment sources.

Websites are user-influenced URLs, so every hop (the first and each redirect) is resolved and
refused when it points at a private, loopback, link-local or reserved address (unless
`allow_private`), redirects are capped, and bodies are cut at `max_bytes`. Transient failures
(network errors, 5xx, 429) are retried inside with exponential backoff and jitter; a
`Retry-After` header wins over the computed delay. Bad data (other 4xx, oversized JSON,
blocked addresses) is never retried.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import tenacity

from hirehound.errors import EnrichmentDataError, EnrichmentUnavailable

log = logging.getLogger(__name__)


class BlockedAddress(EnrichmentDataError):
    """The URL resolves to an address we must not fetch (private, loopback, link-local...)."""


class RetryableHTTPError(EnrichmentUnavailable):
    """A 5xx/429 or network failure; `retry_after` (seconds) when the server asked for one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects
    status: int
    headers: Mapping[str, str]
    content: bytes
    truncated: bool

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise EnrichmentDataError(f"{self.url}: response is not JSON ({exc})") from None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(
    url: str, *, allow_private: bool, resolve: Callable[..., Any] = socket.getaddrinfo
) -> None:
    """Raise BlockedAddress unless `url` is http(s) to a host resolving only to public IPs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress(f"refusing to fetch {url!r}: only http(s) URLs with a host")
    if allow_private:
        return
    host = parts.hostname
    try:
        infos = resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise EnrichmentDataError(f"cannot resolve {host!r}: {exc}") from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not _is_public(ip):
            raise BlockedAddress(f"refusing to fetch {url!r}: {host} resolves to {ip}")


class SafeClient:
    """GET with address checks, capped redirects and body, and retries (see module docstring)."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = 10.0,
        user_agent: str = "HirehoundBot/0.1",
        max_redirects: int = 3,
        max_bytes: int = 2_000_000,
        attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        max_retry_after: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        self.max_bytes = max_bytes
        self.attempts = attempts
        self.max_retry_after = max_retry_after
        self.backoff = tenacity.wait_random_exponential(multiplier=backoff_base, max=backoff_max)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": user_agent},
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SafeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        truncate: bool = True,
        ok_statuses: tuple[int, ...] = (),
    ) -> Fetched:
        """Fetch `url`; `ok_statuses` (e.g. 404 for a lookup) are returned, not raised."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableHTTPError),
            wait=lambda rs: _wait_for(self, rs),
            stop=tenacity.stop_after_attempt(self.attempts),
            reraise=True,
        )
        return retrying(self._get_once, url, headers, params, truncate, ok_statuses)

    def _get_once(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        truncate: bool,
        ok_statuses: tuple[int, ...],
    ) -> Fetched:
        current = url
        for hop in range(self.max_redirects + 1):
            check_url(current, allow_private=self.allow_private)
            try:
                with self._client.stream(
                    "GET", current, headers=headers, params=params if hop == 0 else None
                ) as resp:
                    if resp.is_redirect:
                        location = resp.headers.get("location")
                        if not location:
                            raise EnrichmentDataError(f"{current}: redirect without Location")
                        current = urljoin(str(resp.url), location)
                        continue
                    status = resp.status_code
                    if status == 429 or status >= 500:
                        raise RetryableHTTPError(
                            f"{current}: HTTP {status}",
                            retry_after=parse_retry_after(resp.headers.get("retry-after")),
                        )
                    if status >= 400 and status not in ok_statuses:
                        raise EnrichmentDataError(f"{current}: HTTP {status}")
                    body, truncated = self._read(resp, current, truncate)
                    return Fetched(str(resp.url), status, dict(resp.headers), body, truncated)
            except httpx.TransportError as exc:
                # Timeouts, refused and dropped connections: worth another attempt.
                raise RetryableHTTPError(f"{current}: {type(exc).__name__}: {exc}") from exc
        raise EnrichmentDataError(f"{url}: more than {self.max_redirects} redirects")

    def _read(self, resp: httpx.Response, url: str, truncate: bool) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                if not truncate:
                    raise EnrichmentDataError(f"{url}: body larger than {self.max_bytes} bytes")
                return b"".join(chunks)[: self.max_bytes], True
        return b"".join(chunks), False


def _wait_for(client: SafeClient, retry_state: tenacity.RetryCallState) -> float:
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    after = getattr(exc, "retry_after", None)
    if after is not None:
        return min(float(after), client.max_retry_after)
    return float(client.backoff(retry_state))

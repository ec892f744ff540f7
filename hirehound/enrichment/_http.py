"""The enrichment HTTP client: `hirehound.net`'s guarded layer with enrichment's errors.

Websites are user-influenced URLs: every hop is checked and connections are pinned to the
checked address (see `hirehound.net`), credentials never follow a redirect to another
origin, redirects, body size and total time are capped. Transient failures (network errors,
5xx, 429, the deadline) are retried inside with the shared RetryPolicy (Retry-After wins).
Bad data (other 4xx, blocked addresses, oversized bodies) is never retried.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hirehound import net
from hirehound.errors import EnrichmentDataError, EnrichmentUnavailable
from hirehound.net import parse_retry_after

__all__ = [
    "BlockedAddress",
    "Fetched",
    "RetryableHTTPError",
    "SafeClient",
    "check_url",
    "parse_retry_after",
]


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
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError) as exc:
            raise EnrichmentDataError(f"{self.url}: response is not JSON ({exc})") from None


def _resolver(resolve: Callable[..., Any]) -> net.Resolver:
    def run(host: str, port: int) -> list[str]:
        return [str(info[4][0]) for info in resolve(host, port)]

    return run


def check_url(
    url: str, *, allow_private: bool, resolve: Callable[..., Any] = socket.getaddrinfo
) -> None:
    """Raise BlockedAddress unless `url` is http(s) to a host resolving only to public IPs.

    A pre-flight check for callers that want an answer without a request; fetching through
    SafeClient checks again at connect time (and connects to what it checked).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress(f"refusing to fetch {url!r}: only http(s) URLs with a host")
    policy = net.AddressPolicy.of(allow_private=allow_private, resolver=_resolver(resolve))
    try:
        policy.addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except net.BlockedAddress as exc:
        raise BlockedAddress(f"{net.redact_url(url)}: {exc}") from None
    except (OSError, UnicodeError) as exc:
        raise EnrichmentDataError(f"cannot resolve {parts.hostname!r}: {exc}") from None


class SafeClient:
    """GET with address checks, capped redirects, body and time, and retries (see above)."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_networks: tuple[str, ...] = (),
        timeout: float = 10.0,
        deadline: float | None = None,
        user_agent: str = "HirehoundBot/0.1",
        max_redirects: int = 3,
        max_bytes: int = 2_000_000,
        attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        max_retry_after: float = 60.0,
        resolver: net.Resolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        self.max_bytes = max_bytes
        self.deadline = deadline if deadline is not None else 3 * timeout
        self.retry = net.RetryPolicy(attempts, backoff_base, backoff_max, max_retry_after)
        policy = net.AddressPolicy.of(
            allow_private=allow_private, allow=allowed_networks, resolver=resolver
        )
        self._client = net.GuardedClient(policy, timeout=timeout, user_agent=user_agent)

    @property
    def attempts(self) -> int:
        return self.retry.attempts

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
        try:
            return self.retry.call(
                lambda: self._get_once(url, headers, params, truncate, ok_statuses),
                what=f"enrichment GET {net.redact_url(url)}",
            )
        except net.Retryable as exc:
            raise RetryableHTTPError(
                f"{net.redact_url(url)}: {exc.reason}", retry_after=exc.retry_after
            ) from exc

    def _get_once(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        truncate: bool,
        ok_statuses: tuple[int, ...],
    ) -> Fetched:
        try:
            resp = net.fetch(
                self._client, url, headers=headers, params=params, deadline_s=self.deadline,
                max_bytes=self.max_bytes, truncate=truncate, max_redirects=self.max_redirects,
            )
        except net.BlockedAddress as exc:
            raise BlockedAddress(f"{net.redact_url(url)}: {exc}") from None
        except net.Unresolvable as exc:  # a website that no longer exists: bad data
            raise EnrichmentDataError(f"{net.redact_url(url)}: {exc}") from None
        except net.BadResponse as exc:
            raise EnrichmentDataError(str(exc)) from None
        retry = net.retryable_status(resp)
        if retry is not None:
            raise net.Retryable(f"{net.redact_url(resp.url)}: {retry.reason}",
                                retry_after=retry.retry_after, status=retry.status)
        if resp.status >= 400 and resp.status not in ok_statuses:
            raise EnrichmentDataError(f"{net.redact_url(resp.url)}: HTTP {resp.status}")
        return Fetched(resp.url, resp.status, dict(resp.headers), resp.body, resp.truncated)

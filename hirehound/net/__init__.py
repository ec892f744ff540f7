"""The guarded HTTP layer every outbound request goes through (sources, enrichment, recheck).

    client = net.client(settings)                 # GuardedClient: checked, pinned connections
    resp = net.RetryPolicy().call(lambda: net.fetch(client, url, deadline_s=60))

- NetError
  - BlockedAddress: not http(s), or an address the policy refuses; never retried
  - Retryable: network error, timeout, deadline, 429/5xx (`retry_after`, `status`)
    - Unresolvable: the host name does not resolve
  - BadResponse: too many redirects, body over the cap, undecodable body
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hirehound.net._address import (
    AddressPolicy,
    BlockedAddress,
    NetError,
    Resolver,
    refusal_reason,
    system_resolver,
)
from hirehound.net._fetch import (
    BadResponse,
    BeforeRequest,
    Response,
    fetch,
    redact_url,
    retryable_status,
)
from hirehound.net._retry import Retryable, RetryPolicy, Unresolvable, parse_retry_after
from hirehound.net._transport import GuardedClient, GuardedTransport
from hirehound.net._urls import MAX_URL_CHARS, safe_http_url, url_problem

if TYPE_CHECKING:
    from hirehound.settings import Settings


def policy(settings: Settings, resolver: Resolver | None = None) -> AddressPolicy:
    """The address policy the settings ask for (`allow_private_addresses`, `allowed_networks`)."""
    return AddressPolicy.of(
        allow_private=settings.allow_private_addresses,
        allow=settings.allowed_networks,
        resolver=resolver,
    )


def client(
    settings: Settings, *, timeout: float | None = None, resolver: Resolver | None = None
) -> GuardedClient:
    """A GuardedClient with the settings' policy, timeout and User-Agent."""
    return GuardedClient(
        policy(settings, resolver),
        timeout=settings.http_timeout_s if timeout is None else timeout,
        user_agent=settings.user_agent,
    )


__all__ = [
    "MAX_URL_CHARS",
    "AddressPolicy",
    "BadResponse",
    "BeforeRequest",
    "BlockedAddress",
    "GuardedClient",
    "GuardedTransport",
    "NetError",
    "Resolver",
    "Response",
    "RetryPolicy",
    "Retryable",
    "Unresolvable",
    "client",
    "fetch",
    "parse_retry_after",
    "policy",
    "redact_url",
    "refusal_reason",
    "retryable_status",
    "safe_http_url",
    "system_resolver",
    "url_problem",
]

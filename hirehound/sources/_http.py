"""HTTP fetching for sources: polite, bounded, retried, through the guarded layer.

Addresses, redirects, the deadline, the body cap and Retry-After are `hirehound.net`'s; this
module maps its outcomes onto the source errors (SourceUnavailable: retry later;
SourceFormatError / SourceError: never retried) and adds conditional requests.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from hirehound import net
from hirehound.errors import SourceError, SourceFormatError, SourceUnavailable
from hirehound.net import BeforeRequest, parse_retry_after
from hirehound.settings import Settings

# Module constants rather than settings: tests shorten them; operators rarely need to.
MAX_RESPONSE_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 5
RETRY_ATTEMPTS = 4
RETRY_INITIAL_S = 0.5
RETRY_MAX_S = 30.0
# A Retry-After longer than this is cut: a run should not sleep for an hour on one board.
RETRY_AFTER_CAP_S = 120.0
ACCEPT = "application/json, application/ld+json;q=0.9, text/html;q=0.8, */*;q=0.5"

__all__ = [
    "BeforeRequest",
    "Fetched",
    "fetch",
    "fetch_conditional",
    "parse_retry_after",
    "retry_policy",
]


def retry_policy() -> net.RetryPolicy:
    """The sources' retry policy (read at call time: tests shorten the constants)."""
    return net.RetryPolicy(RETRY_ATTEMPTS, RETRY_INITIAL_S, RETRY_MAX_S, RETRY_AFTER_CAP_S)


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


def _get_once(
    client: httpx.Client,
    url: str,
    settings: Settings,
    validators: dict[str, str],
    before_request: BeforeRequest | None,
) -> Fetched:
    try:
        resp = net.fetch(
            client, url, headers={"Accept": ACCEPT, **validators},
            deadline_s=settings.http_deadline_s, max_bytes=MAX_RESPONSE_BYTES,
            max_redirects=MAX_REDIRECTS, before_request=before_request,
        )
    except net.BlockedAddress as exc:
        raise SourceError(f"{net.redact_url(url)}: {exc}") from None
    except net.BadResponse as exc:
        raise SourceFormatError(str(exc)) from None
    etag, modified = resp.headers.get("etag"), resp.headers.get("last-modified")
    if resp.status == 304 and validators:
        return Fetched(resp.url, 304, b"", etag, modified)
    retry = net.retryable_status(resp)
    if retry is not None:
        raise retry
    if resp.status >= 400:
        raise SourceFormatError(f"{resp.url}: HTTP {resp.status} {resp.reason}".rstrip())
    return Fetched(resp.url, resp.status, resp.body, etag, modified)


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
    `client` must be a `hirehound.net.GuardedClient` (`net.client(settings)`); without one a
    client is made for this call.
    """
    validators = {}
    if etag:
        validators["If-None-Match"] = etag
    if last_modified:
        validators["If-Modified-Since"] = last_modified
    own = client is None
    if client is None:
        client = net.client(settings)
    policy = retry_policy()
    try:
        return policy.call(
            lambda: _get_once(client, url, settings, validators, before_request),
            what=f"fetch {net.redact_url(url)}",
        )
    except net.Retryable as exc:
        raise SourceUnavailable(
            f"{net.redact_url(url)}: {exc.reason} (gave up after {policy.attempts} attempts)"
        ) from exc
    finally:
        if own:
            client.close()

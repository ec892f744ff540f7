"""One request through a GuardedClient: redirects followed here, each hop re-checked.

What every fetcher (sources, enrichment, recheck) gets from `fetch`:
- only http(s); IP-literal hops checked before anything is sent, named hosts by the
  transport at connect time (see `_transport`);
- at most `max_redirects` hops; credentials (Authorization, Cookie, API-key headers) are
  dropped as soon as a redirect leaves the origin (scheme, host, port) of the first URL;
- one deadline for the whole request (hops and body): a server trickling bytes slower than
  it is cut off, which per-read timeouts alone never do;
- a body cap counted after decompression, which is done here chunk by chunk with a bounded
  output (a gzip bomb costs at most the cap, not what one network chunk inflates to).
Status codes are the caller's business, except that bodies are read for 2xx only.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from hirehound.net._address import BlockedAddress, NetError, parse_ip
from hirehound.net._retry import Retryable, parse_retry_after
from hirehound.net._transport import GuardedClient

BeforeRequest = Callable[[str], None]

# Header names that carry credentials; never sent to another origin.
_SECRET_HEADER = re.compile(
    r"authorization|cookie|key|token|secret|password|passwd|session|credential|signature",
    re.IGNORECASE,
)
_SECRET_PARAM = re.compile(r"key|token|secret|password|passwd|sig|auth|session", re.IGNORECASE)


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class BadResponse(NetError):
    """The answer cannot be used (too many redirects, body over the cap, undecodable)."""


@dataclass(frozen=True)
class Response:
    """A final (non-redirect) answer; `body` is empty unless the status is 2xx."""

    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool = False
    reason: str = ""


def redact_url(url: str) -> str:
    """`url` fit for a log line or an error: no user:password, secret-looking params masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query and _SECRET_PARAM.search(query):
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _check_target(url: httpx.URL, client: GuardedClient) -> None:
    if url.scheme not in ("http", "https") or not url.host:
        raise BlockedAddress(f"refusing to fetch {redact_url(str(url))}: only http(s) URLs")
    literal = parse_ip(url.host)
    if literal is not None:  # no DNS needed: refuse before the hook takes a rate-limit slot
        client.policy.check_ip(literal, url.host)


def fetch(
    client: httpx.Client,
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    deadline_s: float = 60.0,
    max_bytes: int = 10_000_000,
    truncate: bool = False,
    max_redirects: int = 5,
    read_body: bool = True,
    before_request: BeforeRequest | None = None,
) -> Response:
    """One attempt at `url` (no retries: see RetryPolicy); raises Retryable on network
    errors, timeouts and the deadline, BlockedAddress, BadResponse."""
    if not isinstance(client, GuardedClient):
        # A plain httpx.Client would connect anywhere: refuse to run on one.
        raise TypeError("hirehound.net.fetch needs a hirehound.net.GuardedClient")
    deadline = time.monotonic() + deadline_s
    base = client.timeout
    first = current = httpx.URL(url)
    hop_headers = {"Accept-Encoding": "gzip, deflate", **(headers or {})}
    for hop in range(max_redirects + 1):
        _check_target(current, client)
        if before_request is not None:
            before_request(str(current))  # rate-limit slot, host politeness: per request
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Retryable(
                f"deadline of {deadline_s:g}s exceeded before {redact_url(str(current))}"
            )
        timeout = httpx.Timeout(
            connect=min(base.connect or remaining, remaining),
            read=min(base.read or remaining, remaining),
            write=min(base.write or remaining, remaining),
            pool=min(base.pool or remaining, remaining),
        )
        try:
            with client.stream(
                method, current, headers=hop_headers, params=params if hop == 0 else None,
                timeout=timeout, follow_redirects=False,
            ) as resp:
                # Not resp.is_redirect: in httpx 0.28 that is any 3xx, 304 Not Modified too.
                if resp.status_code in _REDIRECTS:
                    location = resp.headers.get("location", "")
                    nxt = httpx.URL(urljoin(str(resp.url), location)) if location else None
                    if nxt is None:
                        raise BadResponse(f"{redact_url(str(current))}: redirect without Location")
                    if _origin(nxt) != _origin(first):
                        hop_headers = {
                            k: v for k, v in hop_headers.items() if not _SECRET_HEADER.search(k)
                        }
                    current = nxt
                    continue
                body, truncated = b"", False
                if read_body and 200 <= resp.status_code < 300 and method != "HEAD":
                    body, truncated = _read(resp, max_bytes, truncate, deadline, deadline_s)
                return Response(str(resp.url), resp.status_code, resp.headers, body, truncated,
                                resp.reason_phrase)
        except httpx.TransportError as exc:  # connect/read errors and timeouts
            raise Retryable(
                f"{type(exc).__name__}: {exc} ({redact_url(str(current))})"
            ) from exc
    raise BadResponse(f"{redact_url(url)}: more than {max_redirects} redirects")


def retryable_status(resp: Response) -> Retryable | None:
    """The Retryable a 429 or 5xx answer stands for (with its Retry-After), else None."""
    if resp.status == 429 or resp.status >= 500:
        return Retryable(
            f"HTTP {resp.status}", retry_after=parse_retry_after(resp.headers.get("retry-after")),
            status=resp.status,
        )
    return None


class _Decoder:
    """Content-Encoding undone with a bounded output per call (gzip, deflate, identity)."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        self.raw_deflate = False
        if encoding in ("", "identity"):
            self._d = None
        elif encoding in ("gzip", "x-gzip"):
            self._d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._d = zlib.decompressobj()
            self.raw_deflate = True  # may turn out to be raw deflate (no zlib header)
        else:
            raise BadResponse(f"unsupported Content-Encoding {encoding!r}")

    def feed(self, data: bytes, room: int) -> bytes:
        """Up to `room` decoded bytes of `data`; `room` bytes back means 'there is more'."""
        if self._d is None:
            return data[:room]
        out = bytearray()
        try:
            while room > len(out):
                out += self._d.decompress(data, room - len(out))
                data = self._d.unconsumed_tail
                if not data:
                    break
        except zlib.error as exc:
            if self.raw_deflate and not out:
                self.raw_deflate = False
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(data, room)
            raise BadResponse(f"undecodable body: {exc}") from None
        self.raw_deflate = False
        return bytes(out)

    def flush(self) -> bytes:
        return self._d.flush() if self._d is not None else b""


def _read(
    resp: httpx.Response, max_bytes: int, truncate: bool, deadline: float, deadline_s: float
) -> tuple[bytes, bool]:
    url = redact_url(str(resp.url))
    declared = resp.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise BadResponse(f"{url}: body larger than the size cap of {max_bytes} bytes "
                          f"(declared {declared})")
    decoder = _Decoder(resp.headers.get("content-encoding", ""))
    buf = bytearray()
    # Chunks as they arrive (a chunk_size would make httpx gather 64 kB first, and a drip
    # would never reach the deadline check).
    for raw in resp.iter_raw():
        if time.monotonic() > deadline:
            raise Retryable(f"deadline of {deadline_s:g}s exceeded reading the body")
        buf += decoder.feed(raw, max_bytes + 1 - len(buf))
        if len(buf) > max_bytes:
            break
    else:
        buf += decoder.flush()[: max_bytes + 1 - len(buf)]
    if len(buf) > max_bytes:
        if not truncate:
            raise BadResponse(
                f"{url}: body larger than the size cap of {max_bytes} bytes (after decompression)"
            )
        return bytes(buf[:max_bytes]), True
    return bytes(buf), False

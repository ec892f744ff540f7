"""An httpx client whose every connection goes to an address the policy checked.

The check sits in the connection layer (an httpcore network backend): the host is resolved
once per new connection, every answer is checked, and the socket is opened to one of those
checked addresses, never to a second lookup. A name that answers public to a checker and
private to the connector (DNS rebinding) therefore cannot get through. The URL keeps its
host name, so the Host header, TLS SNI and certificate checks stay those of the name.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
import httpx

from hirehound.net._address import AddressPolicy
from hirehound.net._retry import Unresolvable

_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    # Building one costs ~20 ms of CPU (loading the CA bundle): one per process.
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context(trust_env=False)
        return _ssl_context


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses `policy` resolved and let through."""

    def __init__(self, policy: AddressPolicy, max_addresses: int = 3) -> None:
        self.policy = policy
        self.max_addresses = max_addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.policy.addresses(host, port)  # raises BlockedAddress
        except OSError as exc:
            raise Unresolvable(f"cannot resolve {host}: {exc}") from exc
        error: Exception | None = None
        for ip in addresses[: self.max_addresses]:
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise type(error)(f"{host} ({', '.join(map(str, addresses))}): {error}") from error


class GuardedTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport` with its connection pool on a `GuardedBackend`, no proxies."""

    def __init__(self, policy: AddressPolicy, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(max_connections=20, max_keepalive_connections=10)
        context = _shared_ssl_context()
        super().__init__(verify=context, trust_env=False, limits=limits)
        # httpx builds the pool itself and offers no seam for the network backend: replace it
        # (same arguments as httpx's own, plus the backend). tests/unit/test_net_* pin this.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )
        self.policy = policy


class GuardedClient(httpx.Client):
    """An `httpx.Client` that cannot reach a refused address (see module docstring).

    Redirects are off: `hirehound.net.fetch` follows them itself, checking each hop.
    """

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        timeout: float = 20.0,
        user_agent: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        merged = dict(headers or {})
        if user_agent:
            merged["User-Agent"] = user_agent
        super().__init__(
            transport=GuardedTransport(policy),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers=merged,
        )
        self.policy = policy

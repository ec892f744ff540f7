"""Which addresses an outbound request may reach, and the one DNS lookup that decides it.

A URL from a feed, a posting or an organization's website is attacker-influenced: it must not
make us connect to loopback, the LAN, the cloud metadata service or anything that is not the
public internet. `ipaddress.is_global` misses a few ways to spell such an address (CGNAT in
some Python versions, IPv4-compatible `::7f00:1`, NAT64, 6to4, Teredo, multicast), so those
are refused by an explicit table on top of it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> the addresses to try, in order. Tests inject one (DNS rebinding).
Resolver = Callable[[str, int], Sequence[str]]


class NetError(Exception):
    """Base of what the guarded HTTP layer raises on purpose."""


class BlockedAddress(NetError):
    """The destination is not a public http(s) address; never retried."""


def _nets(*cidrs: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Refused even where `is_global` says yes (it varies between Python versions), each with why.
_EXTRA_REFUSED: tuple[tuple[tuple[IPNetwork, ...], str], ...] = (
    (_nets("100.64.0.0/10"), "carrier-grade NAT (100.64/10)"),
    (_nets("0.0.0.0/8"), "'this network' (0/8)"),
    (_nets("192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
           "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32"), "reserved IPv4"),
    (_nets("192.88.99.0/24"), "6to4 relay anycast"),
    (_nets("224.0.0.0/4", "ff00::/8"), "multicast"),
    (_nets("::ffff:0:0/96"), "IPv4-mapped IPv6"),
    (_nets("::/96"), "IPv4-compatible IPv6"),
    (_nets("::/8"), "reserved IPv6 (::/8)"),
    (_nets("64:ff9b::/96", "64:ff9b:1::/48"), "NAT64"),
    (_nets("2002::/16"), "6to4"),
    (_nets("2001::/32"), "Teredo"),
    (_nets("100::/64"), "discard-only IPv6"),
    (_nets("2001:db8::/32", "3fff::/20"), "documentation IPv6"),
    (_nets("fc00::/7"), "unique-local IPv6"),
    (_nets("fe80::/10"), "link-local"),
    (_nets("fec0::/10"), "site-local IPv6"),
)


def refusal_reason(ip: IPAddress) -> str | None:
    """Why `ip` must not be reached, or None for a public unicast address."""
    if ip.is_loopback or ip.is_unspecified:
        return "loopback" if ip.is_loopback else "unspecified"
    for networks, reason in _EXTRA_REFUSED:
        if any(ip.version == n.version and ip in n for n in networks):
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                return f"{reason} of {ip.ipv4_mapped}"
            return reason
    if ip.is_global:
        return None
    for flag in ("loopback", "link_local", "unspecified", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{flag}"):
            return flag.replace("_", "-")
    return "not globally routable"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]).split("%", 1)[0], None)
    return list(seen)


def parse_ip(host: str) -> IPAddress | None:
    """The address when `host` is an IP literal (brackets and zone allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressPolicy:
    """Where requests may go: public addresses, plus `allow` networks, or anywhere.

    `allow_private` lets everything through (tests and the demo, which serve on loopback;
    on-prem boards). `allow` is the narrower switch: only those networks are let through
    (e.g. 127.0.0.1/32 for a test server while 127.0.0.2 stays refused).
    """

    allow_private: bool = False
    allow: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def of(
        cls,
        *,
        allow_private: bool = False,
        allow: Iterable[str] = (),
        resolver: Resolver | None = None,
    ) -> AddressPolicy:
        """A policy from settings-shaped values (network strings)."""
        networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow)
        return cls(allow_private, networks, resolver or system_resolver)

    def check_ip(self, ip: IPAddress, host: str) -> None:
        """Raise BlockedAddress unless this policy lets `ip` (an address of `host`) through."""
        if self.allow_private or any(ip in n for n in self.allow if n.version == ip.version):
            return
        reason = refusal_reason(ip)
        if reason is not None:
            shown = host if parse_ip(host) is not None else f"{host} -> {ip}"
            raise BlockedAddress(
                f"refusing to fetch from non-public address {ip} ({reason}; {shown}); "
                "set HIREHOUND_ALLOW_PRIVATE_ADDRESSES or HIREHOUND_ALLOWED_NETWORKS to allow"
            )

    def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Resolve `host` once and check every answer: one refused answer refuses the host.

        Checking them all matters: a name answering [public, private] would otherwise let the
        connection fall back onto the private one. OSError (DNS failure) propagates.
        """
        literal = parse_ip(host)
        if literal is not None:
            found = [literal]
        else:
            found = []
            for raw in self.resolver(host, port):
                ip = parse_ip(raw)
                if ip is None:
                    raise BlockedAddress(f"resolver gave {raw!r} for {host}: not an address")
                found.append(ip)
            if not found:
                raise OSError(f"no address for {host}")
        for ip in found:
            self.check_ip(ip, host)
        return found

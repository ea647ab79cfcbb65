"""The client's address: the peer, or `X-Forwarded-For` when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR networks; raises `ValueError` on a bad entry."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def is_in(address: str, networks: Iterable[Network]) -> bool:
    """Whether `address` lies in one of `networks` (False for an unparseable address)."""
    return _trusted(address, networks)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str | None:
    """The first untrusted hop from the right of `X-Forwarded-For`, when `peer` is trusted."""
    if not trusted or not forwarded_for or peer is None or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a garbled header from behind our proxy: fall back to the proxy
    return hops[0] if hops else peer

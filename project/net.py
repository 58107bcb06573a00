"""
The client's address: the one answer for lockouts, throttles, sessions and logs (DESIGN §11).

``TRUSTED_PROXIES`` names the proxies whose ``X-Forwarded-For`` is believed, as addresses or
networks (``127.0.0.1, 10.0.0.0/8, fd00::/8``). Empty, the default, means the socket address
(``REMOTE_ADDR``) and nothing else: a header anyone can send changes nothing.

With proxies named, the chain is the header's addresses followed by the socket address. It is
read from the right: each hop that is a trusted proxy vouches for the address on its left, so
the first address that is not a trusted proxy is the client. What a client wrote itself into
the header stands to the left of what the proxies appended and is never reached unless every
address after it is a proxy of ours. A value that is not an address stops the walk: the last
good address (a proxy of ours) is the answer, never the garbage.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: What ``client_ip`` answers when even the socket address is missing or unreadable.
UNKNOWN = "0.0.0.0"


def parse_networks(value: str | list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` as networks; raises ValueError on a value that is neither."""
    items = value.split(",") if isinstance(value, str) else value
    networks = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise ValueError(
                f"TRUSTED_PROXIES: {item!r} is neither an address nor a network"
            ) from error
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(value: tuple[str, ...] | str) -> tuple[Network, ...]:
    return parse_networks(value)


def trusted_networks() -> tuple[Network, ...]:
    value = getattr(settings, "TRUSTED_PROXIES", ())
    return _networks(value if isinstance(value, str) else tuple(value))


def parse_address(value: str) -> Address | None:
    """One address as a proxy writes it, or None: ``[::1]:443``, ``1.2.3.4:80`` and zones too."""
    value = value.strip().strip('"')
    if not value or len(value) > 64:
        return None
    if value.startswith("["):  # [v6] or [v6]:port
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]  # an IPv6 zone says nothing about the client
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(remote_addr: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address from the socket address and the X-Forwarded-For header."""
    socket_address = parse_address(remote_addr or "")
    if socket_address is None:
        return UNKNOWN
    if not networks or not is_trusted(socket_address, networks):
        return str(socket_address)
    client = socket_address
    for hop in reversed((forwarded_for or "").split(",")):
        address = parse_address(hop)
        if address is None:
            break  # garbage: believe nothing further left
        client = address
        if not is_trusted(address, networks):
            break
    return str(client)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``, as DESIGN §11 defines it."""
    meta = getattr(request, "META", {})
    return client_address(
        meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), trusted_networks()
    )

"""Which IP addresses a link preview may connect to (the SSRF guard's address policy).

A preview fetch is a request the server makes on a user's behalf, from inside the network:
without this check, ``http://169.254.169.254/`` reads cloud credentials and
``http://127.0.0.1:6379/`` talks to Redis. Only globally routable unicast is allowed;
private ranges (RFC 1918, IPv6 ULA) are allowed only when the admin opts in
(``link_preview_allow_private``, for a LAN where the interesting pages are internal).

IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by the IPv4 address
inside, so ``::ffff:127.0.0.1`` is loopback. Teredo (``2001::/32``) is refused outright.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

Address = IPv4Address | IPv6Address

# (network, reason): always refused, whatever the settings. Order only matters for the
# reason reported; every entry is checked.
_ALWAYS_V4: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "unspecified"),  # "this network"; 0.0.0.0 reaches the local host
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),  # incl. 169.254.169.254, cloud metadata
        ("100.64.0.0/10", "shared address space (CGNAT)"),
        ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
        ("192.0.2.0/24", "reserved"),  # documentation
        ("198.51.100.0/24", "reserved"),
        ("203.0.113.0/24", "reserved"),
        ("198.18.0.0/15", "reserved"),  # benchmarking
        ("192.88.99.0/24", "reserved"),  # 6to4 relay anycast (deprecated)
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)
_PRIVATE_V4 = tuple(IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

_ALWAYS_V6: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), reason)
    for net, reason in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
        ("100::/64", "reserved"),  # discard-only
        ("2001::/32", "reserved"),  # Teredo: tunnels to an address we cannot check
        ("2001:db8::/32", "reserved"),  # documentation
        ("2001:10::/28", "reserved"),  # ORCHID
    )
)
_PRIVATE_V6 = (IPv6Network("fc00::/7"),)
_NAT64 = IPv6Network("64:ff9b::/96")
_SIXTOFOUR = IPv6Network("2002::/16")
_V4_COMPATIBLE = IPv6Network("::/96")


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the carrying forms."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    packed = int(address)
    if address in _NAT64 or (address in _V4_COMPATIBLE and packed > 1):
        return IPv4Address(packed & 0xFFFFFFFF)
    return None


def refusal(address: Address | str, *, allow_private: bool = False) -> str | None:
    """Why ``address`` must not be contacted, or None when it may be."""
    ip = ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, IPv6Address):
        if ip.scope_id:
            return "scoped address"
        inner = embedded_ipv4(ip)
        if inner is not None:
            reason = refusal(inner, allow_private=allow_private)
            return None if reason is None else f"{reason} (inside IPv6 {ip})"
        for net6, reason in _ALWAYS_V6:
            if ip in net6:
                return reason
        if any(ip in net6 for net6 in _PRIVATE_V6):
            return None if allow_private else "private"
    else:
        for net4, reason in _ALWAYS_V4:
            if ip in net4:
                return reason
        if any(ip in net4 for net4 in _PRIVATE_V4):
            return None if allow_private else "private"
    # Anything else the registries do not call globally routable (future special ranges).
    return None if ip.is_global else "not globally routable"

"""The SSRF guard's address policy: every special range refused, private only on opt-in."""

from __future__ import annotations

import pytest

from minimost.linkpreview.addresses import embedded_ipv4, refusal

ALWAYS_REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("fec0::1", "site-local"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("100.64.0.1", "CGNAT"),
    ("100.127.255.254", "CGNAT"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("192.0.0.8", "reserved"),
    ("192.0.2.1", "reserved"),
    ("198.18.0.1", "reserved"),
    ("198.51.100.1", "reserved"),
    ("203.0.113.1", "reserved"),
    ("2001:db8::1", "reserved"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"),  # Teredo
    ("100::1", "reserved"),
    # IPv4 inside IPv6: judged by the IPv4 address.
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:0.0.0.0", "unspecified"),
    ("::127.0.0.1", "loopback"),  # IPv4-compatible
    ("64:ff9b::7f00:1", "loopback"),  # NAT64
    ("2002:7f00:1::1", "loopback"),  # 6to4
    ("2002:a9fe:a9fe::1", "link-local"),
]
PRIVATE = ["10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.10",
           "fc00::1", "fd12:3456::1", "::ffff:10.1.2.3", "::ffff:192.168.0.1"]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "11.0.0.1",
          "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8"]  # fmt: skip


@pytest.mark.parametrize(("address", "reason"), ALWAYS_REFUSED)
def test_special_ranges_are_always_refused(address: str, reason: str) -> None:
    for allow_private in (False, True):
        why = refusal(address, allow_private=allow_private)
        assert why is not None and reason in why, (address, why)


@pytest.mark.parametrize("address", PRIVATE)
def test_private_ranges_need_the_setting(address: str) -> None:
    assert refusal(address) is not None
    assert "private" in (refusal(address) or "")
    assert refusal(address, allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_is_allowed(address: str) -> None:
    assert refusal(address) is None


def test_scoped_ipv6_is_refused() -> None:
    assert refusal("fe80::1%1") is not None
    assert refusal("2606:4700::1%eth0") == "scoped address"


def test_embedded_ipv4_forms() -> None:
    from ipaddress import IPv4Address, IPv6Address

    assert embedded_ipv4(IPv6Address("::ffff:1.2.3.4")) == IPv4Address("1.2.3.4")
    assert embedded_ipv4(IPv6Address("64:ff9b::102:304")) == IPv4Address("1.2.3.4")
    assert embedded_ipv4(IPv6Address("2002:102:304::")) == IPv4Address("1.2.3.4")
    assert embedded_ipv4(IPv6Address("::1")) is None  # loopback, not IPv4 0.0.0.1
    assert embedded_ipv4(IPv6Address("2606:4700::1")) is None

"""HTTPS out of the box: a name-constrained local CA plus a server certificate.

Why a CA rather than one self-signed certificate: clients import ``/ca.pem`` once
and keep trusting the server across reissues (new IP address, renewal). The CA is
name-constrained to local names and private address ranges, so a client that
imports it does not thereby let it vouch for public sites.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import socket
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
Pair = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]

CA_KEY_NAME = "ca-key.pem"
CA_DAYS = 3650
LEAF_DAYS = 397  # Apple and Chromium reject server certificates valid for more than 398 days
RENEW_BEFORE = timedelta(days=30)
BACKDATE = timedelta(hours=1)  # tolerate clients whose clocks run a little behind ours
# Names and ranges that are never publicly routable: a CA limited to them cannot
# impersonate public sites. Local names outside them are added one by one.
PERMITTED_DNS = ("localhost", "local", "lan", "internal", "home.arpa", "localdomain")
_NETS_V4 = ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
_NETS_V6 = ("::1/128", "fc00::/7", "fe80::/10")
PERMITTED_NETS = tuple(ipaddress.ip_network(n) for n in (*_NETS_V4, "100.64.0.0/10", *_NETS_V6))
_DNS_CHARS = re.compile(r"[a-z0-9_*.-]+")  # what remains after IDNA encoding, if well-formed
_LOAD_ERRORS = (OSError, ValueError, TypeError, UnsupportedAlgorithm)


@dataclass(frozen=True)
class TLSFiles:
    ca_cert: Path  # <data_dir>/tls/ca.pem
    server_cert: Path  # <data_dir>/tls/cert.pem: leaf first, then the CA
    server_key: Path  # <data_dir>/tls/key.pem (0600)


def _parse_host(raw: str) -> str | IPAddr | None:
    """A DNS name (lower-case A-label) or an IP address; None if unusable in a SAN."""
    host = raw.strip().removeprefix("[").removesuffix("]").rstrip(".").lower()
    if not host or "%" in host:  # zone-scoped IPv6 addresses cannot go into a certificate
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            name = host.encode("idna").decode("ascii")
        except UnicodeError:  # empty or over-long label
            return None
        # A malformed dNSName makes strict verifiers reject the whole certificate.
        return name if _DNS_CHARS.fullmatch(name) else None
    return None if ip.is_unspecified else ip


def _split(hosts: Iterable[str]) -> tuple[list[str], list[IPAddr]]:
    dns: list[str] = []
    ips: list[IPAddr] = []
    for raw in hosts:
        host = _parse_host(raw)
        if isinstance(host, str) and host not in dns:
            dns.append(host)
        elif host is not None and not isinstance(host, str) and host not in ips:
            ips.append(host)
    return dns, ips


def local_names() -> tuple[list[str], list[IPAddr]]:
    """DNS names (localhost, hostname, fqdn if different) and IPs (loopback + every interface)."""
    hosts = ["localhost", socket.gethostname(), socket.getfqdn(), "127.0.0.1", "::1"]
    for addrs in psutil.net_if_addrs().values():
        hosts += [a.address for a in addrs if a.family in (socket.AF_INET, socket.AF_INET6)]
    dns, ips = _split(hosts)
    # IPv6 link-local is only reachable with a zone id, which browsers can't put in a URL.
    return dns, [ip for ip in ips if not (ip.version == 6 and ip.is_link_local)]


def _dns_ok(name: str, bases: Iterable[str]) -> bool:
    # RFC 5280 semantics: a dNSName subtree covers the name itself and any subdomain.
    return any(name == b or name.endswith("." + b) for b in bases)


def _ip_ok(ip: IPAddr, nets: Iterable[IPNet]) -> bool:
    return any(ip.version == n.version and ip in n for n in nets)


def _ca_problem(loaded: Pair | None, dns: list[str], ips: list[IPAddr], now: datetime) -> str:
    """Why the CA must be replaced, or "" if it can keep signing."""
    if loaded is None:
        return "its files are missing, unreadable or mismatched"
    ca = loaded[0]
    if ca.not_valid_after_utc - now < timedelta(days=LEAF_DAYS):
        return "it expires soon"
    try:
        nc = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return "it has no name constraints"  # never keep an unconstrained CA around
    subtrees = nc.permitted_subtrees or []
    bases = [g.value for g in subtrees if isinstance(g, x509.DNSName)]
    nets = [ipaddress.ip_network(g.value) for g in subtrees if isinstance(g, x509.IPAddress)]
    outside = [n for n in dns if not _dns_ok(n, bases)]
    outside += [str(ip) for ip in ips if not _ip_ok(ip, nets)]
    return f"its name constraints do not cover {', '.join(outside)}" if outside else ""


def _leaf_problem(
    loaded: Pair | None, ca: x509.Certificate, dns: list[str], ips: list[IPAddr], now: datetime
) -> str:
    """Why the server certificate must be reissued, or "" if it is still good."""
    if loaded is None:
        return "missing or unreadable"
    leaf = loaded[0]
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return "not signed by the current CA"
    if leaf.not_valid_before_utc > now:
        return "not yet valid"
    if leaf.not_valid_after_utc - now < RENEW_BEFORE:
        return f"expires {leaf.not_valid_after_utc:%Y-%m-%d}"
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "no subject alternative names"
    have_dns = set(san.get_values_for_type(x509.DNSName))
    have_ips = set(san.get_values_for_type(x509.IPAddress))
    missing = [f"new name {n}" for n in dns if n not in have_dns]
    missing += [f"new address {ip}" for ip in ips if ip not in have_ips]
    return ", ".join(missing)


def _load(cert_path: Path, key_path: Path) -> Pair | None:
    """The certificate (first in the file) and its key, or None if either is unusable."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except _LOAD_ERRORS:
        return None
    # A crash between writing the key and the certificate would leave a mismatched pair.
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if not isinstance(key, ec.EllipticCurvePrivateKey) or (
        key.public_key().public_bytes(der, spki) != cert.public_key().public_bytes(der, spki)
    ):
        return None
    return cert, key


def _write(path: Path, data: bytes, mode: int) -> None:
    """Atomically replace ``path``: readers never see a partial file, a key is never world-readable."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # O_EXCL, mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _constraints(dns: list[str], ips: list[IPAddr]) -> x509.NameConstraints:
    """The CA's permitted subtrees: private names/ranges plus today's other local names."""
    bases = [*PERMITTED_DNS, *(n for n in dns if not _dns_ok(n, PERMITTED_DNS))]
    # Public IPv6 gets its /64: temporary (privacy) addresses rotate daily within it, and a
    # /128 each would force a new CA, and clients to re-trust it, every day.
    nets = [*PERMITTED_NETS] + [
        ipaddress.ip_network(f"{ip}/{32 if ip.version == 4 else 64}", strict=False)
        for ip in ips
        if not _ip_ok(ip, PERMITTED_NETS)
    ]
    subtrees: list[x509.GeneralName] = [x509.DNSName(b) for b in bases]
    subtrees += [x509.IPAddress(n) for n in nets]
    return x509.NameConstraints(permitted_subtrees=subtrees, excluded_subtrees=None)


def _sans(dns: list[str], ips: list[IPAddr]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns]
    return x509.SubjectAlternativeName(names + [x509.IPAddress(ip) for ip in ips])


def _issue(
    subject: str,
    issuer: Pair | None,  # None: self-signed CA
    days: int,
    now: datetime,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())  # P-256: cheapest widely supported handshake
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    is_ca = issuer is None
    signer = key if issuer is None else issuer[1]
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name if issuer is None else issuer[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(is_ca, 0 if is_ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            # The leaf only signs (ECDHE) handshakes; the CA only signs certificates and CRLs.
            x509.KeyUsage(not is_ca, False, False, False, False, is_ca, is_ca, False, False),
            critical=True,
        )
    )
    if issuer is not None:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key())
        builder = builder.add_extension(aki, critical=False)
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(signer, hashes.SHA256()), key


def ensure_tls(
    data_dir: Path, *, extra_hosts: Sequence[str] = (), now: datetime | None = None
) -> tuple[TLSFiles, list[str]]:
    """Create/keep the CA and (re)issue the server certificate; return files and notes to log."""
    now = (datetime.now(UTC) if now is None else now).astimezone(UTC)
    tls = data_dir / "tls"
    tls.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(tls, 0o700)  # mkdir's mode is masked by umask and ignored for an existing dir
    files = TLSFiles(tls / "ca.pem", tls / "cert.pem", tls / "key.pem")
    ca_key_path = tls / CA_KEY_NAME
    for key_path in (ca_key_path, files.server_key):
        if key_path.exists():
            os.chmod(key_path, 0o600)  # repair loosened permissions without rewriting the key
    local_dns, local_ips = local_names()
    dns, ips = _split([*local_dns, *map(str, local_ips), *extra_hosts])
    notes = [
        f"ignored host {h!r}: unusable in a certificate" for h in extra_hosts if not _parse_host(h)
    ]
    pem = serialization.Encoding.PEM

    ca_pair = _load(files.ca_cert, ca_key_path)
    why = _ca_problem(ca_pair, dns, ips, now)
    if why:
        first_start = not files.ca_cert.exists() and not ca_key_path.exists()
        # The random suffix tells successive CAs apart in a client's trust store.
        cn = f"MiniMost local CA ({socket.gethostname()[:32]}) {secrets.token_hex(3)}"
        # Name constraints are critical, as RFC 5280 requires; OpenSSL, Chromium, NSS and Go
        # all enforce them, so an imported /ca.pem cannot vouch for public sites.
        ca_pair = _issue(cn, None, CA_DAYS, now, [(_constraints(dns, ips), True)])
        _write(ca_key_path, _key_pem(ca_pair[1]), 0o600)
        _write(files.ca_cert, ca_pair[0].public_bytes(pem), 0o644)
        notes.append(
            "created local CA"
            if first_start
            else f"WARNING: recreated local CA because {why}; clients must re-trust /ca.pem"
        )
    assert ca_pair is not None  # _ca_problem() reports a missing CA

    leaf_pair = _load(files.server_cert, files.server_key)
    why = _leaf_problem(leaf_pair, ca_pair[0], dns, ips, now)
    if why:
        existed = files.server_cert.exists()
        # Clients match SANs only; a CN with a space is never mistaken for a host name.
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
        exts: list[tuple[x509.ExtensionType, bool]] = [(eku, False), (_sans(dns, ips), False)]
        leaf, leaf_key = _issue("MiniMost server", ca_pair, LEAF_DAYS, now, exts)
        _write(files.server_key, _key_pem(leaf_key), 0o600)
        _write(files.server_cert, leaf.public_bytes(pem) + ca_pair[0].public_bytes(pem), 0o644)
        notes.append(
            f"reissued server certificate: {why}" if existed else "issued server certificate"
        )
    return files, notes

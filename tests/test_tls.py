"""Local CA + server certificate: creation, reuse, reissue and real TLS verification."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import verification

from minimost import tls
from minimost.tls import CA_KEY_NAME, TLSFiles, ensure_tls, local_names


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())  # first (leaf) certificate


def _sans(files: TLSFiles) -> tuple[set[str], set[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    ext = _cert(files.server_cert).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    ips = {
        ip
        for ip in ext.value.get_values_for_type(x509.IPAddress)
        if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
    }
    return set(ext.value.get_values_for_type(x509.DNSName)), ips


def _snapshot(files: TLSFiles) -> dict[str, tuple[bytes, int]]:
    paths = [files.ca_cert, files.server_cert, files.server_key, files.ca_cert.parent / CA_KEY_NAME]
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}


def _handshake(cert: Path, key: Path, ca: Path, server_hostname: str) -> None:
    """One real TLS connection over loopback; raises if the client rejects the server."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)

        def serve() -> None:
            try:
                conn, _ = listener.accept()
                with conn, server_ctx.wrap_socket(conn, server_side=True) as tls_conn:
                    tls_conn.sendall(b"ok")
            except OSError:  # ssl.SSLError included: the client refused our certificate
                pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        client_ctx = ssl.create_default_context(cafile=ca)
        try:
            with (
                socket.create_connection(listener.getsockname(), timeout=10) as raw,
                client_ctx.wrap_socket(raw, server_hostname=server_hostname) as conn,
            ):
                assert conn.recv(2) == b"ok"
        finally:
            thread.join(10)


def test_local_names_includes_loopback_and_interfaces() -> None:
    dns, ips = local_names()
    assert dns[0] == "localhost"
    assert socket.gethostname().lower() in dns
    assert ipaddress.ip_address("127.0.0.1") in ips
    assert ipaddress.ip_address("::1") in ips
    assert not [ip for ip in ips if ip.version == 6 and ip.is_link_local]
    assert len(set(ips)) == len(ips)


def test_first_start_creates_files_with_private_modes(tmp_path: Path) -> None:
    files, notes = ensure_tls(tmp_path)
    tls_dir = tmp_path / "tls"
    assert files == TLSFiles(tls_dir / "ca.pem", tls_dir / "cert.pem", tls_dir / "key.pem")
    assert notes == ["created local CA", "issued server certificate"]
    assert _mode(tls_dir) == 0o700
    assert _mode(files.server_key) == 0o600
    assert _mode(tls_dir / CA_KEY_NAME) == 0o600
    assert _mode(files.ca_cert) == 0o644
    assert _mode(files.server_cert) == 0o644
    assert sorted(p.name for p in tls_dir.iterdir()) == [
        "ca-key.pem",
        "ca.pem",
        "cert.pem",
        "key.pem",
    ]


def test_certificates_have_expected_profile(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    ca, leaf = _cert(files.ca_cert), _cert(files.server_cert)
    chain = x509.load_pem_x509_certificates(files.server_cert.read_bytes())
    assert [c.fingerprint(hashes.SHA256()) for c in chain] == [
        leaf.fingerprint(hashes.SHA256()),
        ca.fingerprint(hashes.SHA256()),
    ]
    for cert in (ca, leaf):
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        assert isinstance(key.curve, ec.SECP256R1)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= timedelta(days=3650)
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= timedelta(days=398)
    assert "MiniMost local CA (" in ca.subject.rfc4514_string()
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical
    assert bc.value.ca
    assert bc.value.path_length == 0
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (ku.key_cert_sign, ku.crl_sign, ku.digital_signature) == (True, True, False)
    nc = ca.extensions.get_extension_for_class(x509.NameConstraints)
    permitted = nc.value.permitted_subtrees or []
    assert x509.DNSName("lan") in permitted
    assert x509.IPAddress(ipaddress.ip_network("192.168.0.0/16")) in permitted
    assert nc.value.excluded_subtrees is None
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    pkey = serialization.load_pem_private_key(files.server_key.read_bytes(), password=None)
    assert isinstance(pkey, ec.EllipticCurvePrivateKey)


def test_sans_cover_every_local_name(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    dns, ips = _sans(files)
    want_dns, want_ips = local_names()
    assert {"localhost", *want_dns} <= dns
    assert {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"), *want_ips} <= ips


def test_second_call_keeps_files_untouched(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    before = _snapshot(files)
    again, notes = ensure_tls(tmp_path)
    assert again == files
    assert notes == []
    assert _snapshot(files) == before


def test_loosened_key_mode_is_repaired_without_rewrite(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    os.chmod(files.server_key, 0o644)
    before = _snapshot(files)
    assert ensure_tls(tmp_path)[1] == []
    assert _mode(files.server_key) == 0o600
    assert _snapshot(files) == before


def test_near_expiry_reissues_leaf_but_keeps_ca(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    ca_bytes, old_leaf = files.ca_cert.read_bytes(), files.server_cert.read_bytes()
    later = datetime.now(UTC) + timedelta(days=380)
    _, notes = ensure_tls(tmp_path, now=later)
    assert len(notes) == 1
    assert notes[0].startswith("reissued server certificate: expires")
    assert files.ca_cert.read_bytes() == ca_bytes
    assert files.server_cert.read_bytes() != old_leaf
    assert _cert(files.server_cert).not_valid_after_utc > later + timedelta(days=390)
    assert _mode(files.server_key) == 0o600
    assert ensure_tls(tmp_path, now=later)[1] == []


def test_extra_host_reissues_leaf_with_new_san(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    ca_bytes = files.ca_cert.read_bytes()
    _, notes = ensure_tls(tmp_path, extra_hosts=["Chat.LAN.", "[fd00::99]", "::", "bad host"])
    assert notes == [
        "ignored host '::': unusable in a certificate",
        "ignored host 'bad host': unusable in a certificate",
        "reissued server certificate: new name chat.lan, new address fd00::99",
    ]
    dns, ips = _sans(files)
    assert "chat.lan" in dns
    assert ipaddress.ip_address("fd00::99") in ips
    assert ipaddress.ip_address("::") not in ips
    assert files.ca_cert.read_bytes() == ca_bytes
    _handshake(files.server_cert, files.server_key, files.ca_cert, "chat.lan")


def test_name_outside_constraints_recreates_ca(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    ca_bytes = files.ca_cert.read_bytes()
    _, notes = ensure_tls(tmp_path, extra_hosts=["example.com"])
    assert len(notes) == 2
    assert "recreated local CA" in notes[0]
    assert "example.com" in notes[0]
    assert "re-trust /ca.pem" in notes[0]
    assert notes[1] == "reissued server certificate: not signed by the current CA"
    assert files.ca_cert.read_bytes() != ca_bytes
    assert "example.com" in _sans(files)[0]
    _handshake(files.server_cert, files.server_key, files.ca_cert, "example.com")
    assert ensure_tls(tmp_path, extra_hosts=["example.com"])[1] == []


def test_rotating_public_ipv6_keeps_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def names(addr: str) -> tuple[list[str], list[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
        return ["localhost"], [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address(addr)]

    monkeypatch.setattr(tls, "local_names", lambda: names("2001:db8:1:2::aaaa"))
    files, _ = ensure_tls(tmp_path)
    ca_bytes = files.ca_cert.read_bytes()
    monkeypatch.setattr(tls, "local_names", lambda: names("2001:db8:1:2:dead:beef:1:2"))
    assert ensure_tls(tmp_path)[1] == [
        "reissued server certificate: new address 2001:db8:1:2:dead:beef:1:2"
    ]
    assert files.ca_cert.read_bytes() == ca_bytes
    monkeypatch.setattr(tls, "local_names", lambda: names("2001:db8:ffff::1"))
    assert "recreated local CA" in ensure_tls(tmp_path)[1][0]


def test_broken_or_mismatched_leaf_is_reissued(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    ca_bytes = files.ca_cert.read_bytes()
    files.server_key.write_bytes(_other_key_pem())
    assert ensure_tls(tmp_path)[1] == ["reissued server certificate: missing or unreadable"]
    files.server_cert.write_text("garbage")
    assert ensure_tls(tmp_path)[1] == ["reissued server certificate: missing or unreadable"]
    assert files.ca_cert.read_bytes() == ca_bytes
    _handshake(files.server_cert, files.server_key, files.ca_cert, "localhost")


def test_broken_ca_is_recreated_with_warning(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    (files.ca_cert.parent / CA_KEY_NAME).write_bytes(_other_key_pem())
    notes = ensure_tls(tmp_path)[1]
    assert "re-trust /ca.pem" in notes[0]
    assert notes[1] == "reissued server certificate: not signed by the current CA"
    _handshake(files.server_cert, files.server_key, files.ca_cert, "localhost")


def _other_key_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1", "::1"])
def test_tls_handshake_verifies(tmp_path: Path, server_hostname: str) -> None:
    files, _ = ensure_tls(tmp_path)
    _handshake(files.server_cert, files.server_key, files.ca_cert, server_hostname)


def test_tls_handshake_verifies_every_local_name(tmp_path: Path) -> None:
    # Each address is only checked against the certificate (and the CA's name
    # constraints); the connection itself always goes to loopback.
    files, _ = ensure_tls(tmp_path)
    dns, ips = local_names()
    for name in [*dns, *map(str, ips)]:
        _handshake(files.server_cert, files.server_key, files.ca_cert, name)


def test_hostname_not_in_sans_fails(tmp_path: Path) -> None:
    files, _ = ensure_tls(tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        _handshake(files.server_cert, files.server_key, files.ca_cert, "not-in-sans.lan")


@pytest.mark.parametrize(
    "san",
    [x509.DNSName("example.com"), x509.IPAddress(ipaddress.ip_address("8.8.8.8"))],
)
def test_ca_name_constraints_are_enforced(tmp_path: Path, san: x509.GeneralName) -> None:
    # Even a certificate the CA really signed is rejected outside the permitted subtrees:
    # importing /ca.pem never lets this CA vouch for public sites.
    files, _ = ensure_tls(tmp_path)
    ca = _cert(files.ca_cert)
    ca_key = serialization.load_pem_private_key(
        (files.ca_cert.parent / CA_KEY_NAME).read_bytes(), password=None
    )
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    rogue = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([san]), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "rogue.pem", tmp_path / "rogue-key.pem"
    cert_path.write_bytes(rogue.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ssl.SSLCertVerificationError, match="subtree violation"):
        _handshake(cert_path, key_path, files.ca_cert, str(san.value))


def test_strict_webpki_verifier_accepts_chain(tmp_path: Path) -> None:
    # cryptography's verifier applies CA/Browser Forum profile rules, like browsers do.
    files, _ = ensure_tls(tmp_path)
    ca, leaf = _cert(files.ca_cert), _cert(files.server_cert)
    builder = verification.PolicyBuilder().store(verification.Store([ca]))
    for subject in (
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ):
        chain = builder.build_server_verifier(subject).verify(leaf, [])
        assert chain[-1] == ca
    with pytest.raises(verification.VerificationError):
        builder.build_server_verifier(x509.DNSName("example.com")).verify(leaf, [])

"""The tls-alpn-01 checker (RFC 8737).

RFC 8737 §3: resolve the name (through our resolver), connect to one of its addresses on port 443
(``tlsalpn01_port``), offer ALPN ``acme-tls/1`` alone with SNI set to the name, and check the
self-signed certificate without verifying any chain: its subjectAltName holds exactly one entry,
the dNSName being validated, and its critical id-pe-acmeIdentifier extension holds the SHA-256
digest of the key authorization as a DER OCTET STRING. RFC 8737 §4: TLS 1.2 or later only, and
no application data: we close right after the handshake.

Addresses are screened by :mod:`acmehub.validation.address_policy` (a name with no acceptable
address fails with ``dns``) and tried as for http-01 (the first of the preferred family, then
the first of the other, the second only when the TCP connection fails), connecting to the
screened address itself.

What the certificate must carry, and nothing that contradicts it (RFC 8737 §3, as Boulder
checks it): one subjectAltName extension whose only entry is a dNSName equal to the identifier
(ASCII case-insensitive; no other name type, no trailing dot), and one critical acmeIdentifier
extension holding the digest. A certificate with an extension twice (two acmeIdentifiers, two
subjectAltNames) is refused, as RFC 5280 §4.2 forbids.

An IP identifier (RFC 8738 §6) is connected to at its own address, with SNI set to the
address's reverse-mapping name (``4.3.2.1.in-addr.arpa``, the nibbles of an IPv6 address under
``ip6.arpa``, RFC 1034 / RFC 3596, without the trailing dot), and the certificate's one
subjectAltName entry must be the iPAddress being validated.

Problem types (RFC 8555 §6.7):

* ``dns``: the name does not resolve.
* ``connection``: no TCP connection, or a timeout during the handshake.
* ``tls``: the TLS handshake fails (for example the server refuses ``acme-tls/1`` with an alert).
* ``unauthorized``: the handshake completes but ``acme-tls/1`` is not negotiated, or the
  certificate is not a tls-alpn-01 certificate for this name (SAN or extension missing or wrong).
* ``incorrectResponse``: a well-formed challenge certificate whose digest belongs to another key
  authorization.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
import ssl
from typing import NoReturn

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from acmehub.domain.errors import ErrorKind
from acmehub.validation.address_policy import AddressPolicy, screen
from acmehub.validation.common import (
    CheckContext,
    IPAddress,
    host_port,
    order_addresses,
    quote,
)
from acmehub.validation.resolver import DnsLookupError, dns_failure, lookup_addresses
from acmehub.validation.settings import VaSettings

#: RFC 8737 §6.2: the ALPN protocol ID.
ACME_TLS_1 = "acme-tls/1"
#: RFC 8737 §6.1: id-pe-acmeIdentifier.
ACME_IDENTIFIER_OID = ObjectIdentifier("1.3.6.1.5.5.7.1.31")


def acme_identifier_value(key_authorization: str) -> bytes:
    """RFC 8737 §3: the extension value, DER of ``Authorization ::= OCTET STRING (SIZE (32))``."""
    return b"\x04\x20" + hashlib.sha256(key_authorization.encode("utf-8")).digest()


def _names(general_names: list[x509.GeneralName]) -> str:
    return ", ".join(f"{type(n).__name__}:{quote(str(n.value), 80)}" for n in general_names)


class TlsAlpn01Checker:
    """Checks one tls-alpn-01 challenge in the caller's event loop (asyncio TLS); raises
    ChallengeError when it is not met."""

    def __init__(self, settings: VaSettings) -> None:
        self._settings = settings
        self._policy = AddressPolicy(settings.allowed_networks, settings.own_listeners)
        # RFC 8737 §3: the certificate is self-signed; no chain or name is verified.
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._tls.check_hostname = False
        self._tls.verify_mode = ssl.CERT_NONE
        self._tls.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 8737 §4
        self._tls.set_alpn_protocols([ACME_TLS_1])  # RFC 8737 §3: the single protocol

    async def check(self, ctx: CheckContext) -> None:
        task = ctx.task
        if task.identifier.type not in ("dns", "ip"):
            raise ctx.fail(
                ErrorKind.UNSUPPORTED_IDENTIFIER,
                "tls-alpn-01 validates DNS names and IP addresses",
            )
        if task.identifier.is_wildcard:
            # Wildcard names are proved with dns-01 only; the RA never sends this task.
            raise ctx.fail(ErrorKind.UNAUTHORIZED, "tls-alpn-01 cannot validate a wildcard name")
        name = task.identifier.value
        port = self._settings.tlsalpn01_port
        ip = ipaddress.ip_address(name) if task.identifier.type == "ip" else None
        if ip is not None:
            addresses: list[IPAddress] = [ip]
        else:
            try:
                addresses = await lookup_addresses(ctx, name)
            except DnsLookupError as exc:
                ctx.note(f"TLS {name}: {exc.detail}")
                raise dns_failure(task, exc) from exc
        addresses = screen(
            ctx,
            self._policy,
            addresses,
            port,
            what=f"Connecting to {name} for tls-alpn-01",
            resolved=ip is None,
        )
        # RFC 8738 §6: SNI carries the reverse-mapping name of an IP identifier.
        sni = ip.reverse_pointer if ip is not None else name
        failures: list[str] = []
        for address in order_addresses(addresses, self._settings.prefer_ipv6):
            peer = host_port(address, port)
            ctx.note(f"TLS {peer} SNI {sni} ALPN {ACME_TLS_1}")
            try:
                async with asyncio.timeout(ctx.step_timeout()):
                    _, writer = await asyncio.open_connection(
                        str(address), port, flags=socket.AI_NUMERICHOST
                    )
            except (OSError, TimeoutError) as exc:
                # Could not connect: the other address family may work.
                failures.append(f"{peer}: {_reason(exc)}")
                continue
            protocol, der = await self._handshake(ctx, writer, sni, peer)
            self._judge(ctx, name, peer, protocol, der, ip)
            return
        raise ctx.fail(
            ErrorKind.CONNECTION,
            f"Connecting to {name} for tls-alpn-01 failed ({'; '.join(failures)})",
        )

    async def _handshake(
        self, ctx: CheckContext, writer: asyncio.StreamWriter, name: str, peer: str
    ) -> tuple[str | None, bytes | None]:
        """The negotiated ALPN protocol and the peer's certificate (DER)."""
        try:
            step = ctx.step_timeout()
            try:
                async with asyncio.timeout(step):
                    await writer.start_tls(
                        self._tls, server_hostname=name, ssl_handshake_timeout=step + 1
                    )
            except TimeoutError as exc:
                raise ctx.fail(
                    ErrorKind.CONNECTION,
                    f"Timeout during the TLS handshake with {peer} for {name}"
                    f" (no answer within {step:g}s)",
                ) from exc
            except (ssl.SSLError, OSError) as exc:
                raise ctx.fail(
                    ErrorKind.TLS,
                    f"The TLS handshake with {peer} for {name} failed: {_reason(exc)}",
                ) from exc
            tls = writer.get_extra_info("ssl_object")
            if not isinstance(tls, ssl.SSLObject):
                raise ctx.fail(ErrorKind.TLS, f"The TLS handshake with {peer} for {name} failed")
            return tls.selected_alpn_protocol(), tls.getpeercert(binary_form=True)
        finally:
            # RFC 8737 §4: no application data; close once the handshake is done (at once: no
            # close_notify exchange to wait for).
            writer.transport.abort()

    def _judge(
        self,
        ctx: CheckContext,
        name: str,
        peer: str,
        protocol: str | None,
        der: bytes | None,
        ip: IPAddress | None = None,
    ) -> None:
        def refuse(kind: ErrorKind, what: str) -> NoReturn:
            raise ctx.fail(kind, f"The tls-alpn-01 certificate from {peer} for {name} {what}")

        if protocol != ACME_TLS_1:
            # RFC 8737 §3 step 4.
            raise ctx.fail(
                ErrorKind.UNAUTHORIZED,
                f"{peer} did not negotiate the {ACME_TLS_1} protocol for {name}"
                f" (negotiated: {protocol or 'none'}); is tls-alpn-01 set up?",
            )
        if not der:
            refuse(ErrorKind.UNAUTHORIZED, "is missing")
        try:
            cert = x509.load_der_x509_certificate(der)
            extensions = cert.extensions
        except x509.DuplicateExtension as exc:
            # RFC 5280 §4.2: an extension appears at most once; two acmeIdentifiers (or two
            # subjectAltNames) would let a checker pick the one that suits it.
            what = "acmeIdentifier" if exc.oid == ACME_IDENTIFIER_OID else exc.oid.dotted_string
            refuse(ErrorKind.UNAUTHORIZED, f"has the {what} extension more than once")
        except (ValueError, x509.UnsupportedGeneralNameType) as exc:
            refuse(ErrorKind.UNAUTHORIZED, f"cannot be parsed ({exc})")
        # RFC 8737 §3 step 5: exactly one subjectAltName entry, the dNSName being validated
        # (no other name type beside it).
        try:
            san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            refuse(ErrorKind.UNAUTHORIZED, "has no subjectAltName extension")
        general_names = list(san)
        if not _names_only(general_names, name, ip):
            wanted = f"IPAddress:{ip}" if ip is not None else f"DNSName:{quote(name)}"
            refuse(
                ErrorKind.UNAUTHORIZED,
                f"must name exactly {wanted} in its subjectAltName;"
                f" it has {_names(general_names) or 'no entry'}",
            )
        # RFC 8737 §3 step 6: the critical acmeIdentifier extension with the digest.
        try:
            acme = extensions.get_extension_for_oid(ACME_IDENTIFIER_OID)
        except x509.ExtensionNotFound:
            refuse(ErrorKind.UNAUTHORIZED, "has no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)")
        if not acme.critical:
            refuse(ErrorKind.UNAUTHORIZED, "has an acmeIdentifier extension that is not critical")
        value = acme.value.value if isinstance(acme.value, x509.UnrecognizedExtension) else b""
        expected = acme_identifier_value(ctx.task.key_authorization)
        if value != expected:
            if len(value) == 34 and value[:2] == b"\x04\x20":
                got = value[2:].hex()
            else:
                got = f"not a DER OCTET STRING of 32 bytes ({value[:40].hex()})"
            refuse(
                ErrorKind.INCORRECT_RESPONSE,
                f"has the wrong acmeIdentifier: expected SHA-256 {expected[2:].hex()}, got {got}",
            )


def _names_only(general_names: list[x509.GeneralName], name: str, ip: IPAddress | None) -> bool:
    """The one subjectAltName entry is the identifier: its dNSName (RFC 8737 §3) or, for an IP
    identifier, its iPAddress (RFC 8738 §6)."""
    if len(general_names) != 1:
        return False
    entry = general_names[0]
    if ip is not None:
        return isinstance(entry, x509.IPAddress) and entry.value == ip
    return isinstance(entry, x509.DNSName) and _same_name(entry.value, name)


def _same_name(value: str, name: str) -> bool:
    """A dNSName equal to the identifier, ignoring ASCII case only (a Unicode case fold must
    not turn the Kelvin sign into "k")."""
    return value.isascii() and value.lower() == name.lower()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc)
    return str(exc) or type(exc).__name__

"""EmbeddedCa: the CaBackend (and CrlCapability) served by a CA whose key acmehub holds."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from acmehub.ca.embedded.authority import load_issuer
from acmehub.ca.embedded.cross_sign import alternate_chains
from acmehub.ca.embedded.issuer import IpAddress, Issuer, reason_flag, require_aware
from acmehub.ca.embedded.keys import PassphraseLookup, no_passphrases
from acmehub.ca.embedded.sealing import Kek
from acmehub.ca.embedded.stored import is_stored, load_stored_issuer
from acmehub.domain.csr import check_csr_key, parse_csr, parse_serial_hex, serial_to_hex
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import IssuedCertificate, IssueRequest, RevokedEntry, RevokeRequest

_PEM = serialization.Encoding.PEM


class EmbeddedCa:
    """Issues from an intermediate whose key is loaded once, at construction: opened with the
    key-encryption key ``kek`` from ``key_material`` (an Authority in the database), or read
    from the files its ``config`` names (an Authority from before).

    ``crl_url`` is the CRL distribution point placed in every certificate (and the CRL's
    issuing distribution point); None leaves both out.
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        crl_url: str | None = None,
        passphrase_lookup: PassphraseLookup = no_passphrases,
        authority_uuid: str = "",
        key_material: Mapping[str, Any] | None = None,
        kek: Kek | None = None,
    ) -> None:
        # Held in the database (stored.py), or an Authority from before that, in files.
        self._issuer: Issuer = (
            load_stored_issuer(authority_uuid, config, key_material or {}, kek)
            if is_stored(config)
            else load_issuer(config, passphrase_lookup)
        )
        self._crl_url = crl_url
        self._chain_pem = self._issuer.chain_pem()
        # What clients get after their leaf: the issuers up to, not including, the self-signed
        # root, which they must already trust (the TLS chain convention, RFC 8446 §4.4.2).
        self._served_chain_pem = "".join(
            cert.public_bytes(_PEM).decode("ascii")
            for cert in (self._issuer.certificate, *self._issuer.chain)
            if cert.subject != cert.issuer
        )
        # RFC 8555 §7.4.2: the issuing CA's cross-signed twins, served the same way.
        self._alternates = tuple(
            _served(chain) for chain in alternate_chains(config) if is_stored(config)
        )

    @property
    def issuer_certificate(self) -> x509.Certificate:
        """The certificate that signs leaves and CRLs."""
        return self._issuer.certificate

    @property
    def crl_url(self) -> str | None:
        return self._crl_url

    # ------------------------------------------------------------------ CaBackend

    def issue(self, request: IssueRequest) -> IssuedCertificate:
        """Sign a TLS server certificate for the request's names and addresses with the CSR's key.

        The CSR is decoded and its key checked again: the CA trusts no caller with what it
        signs (the finalize use case has already applied the full RFC 8555 §7.4 checks).
        ``parse_csr`` remembers the CSRs it decoded lately, so that costs no second
        signature verification when the finalize use case ran in this process.
        """
        csr = parse_csr(request.csr_der)
        check_csr_key(csr.public_key)
        certificate = self._issuer.sign_leaf(
            public_key=csr.public_key,
            dns_names=request.dns_names,
            ip_addresses=[ipaddress.ip_address(ip) for ip in request.ip_addresses],
            not_before=request.not_before,
            not_after=request.not_after,
            crl_url=self._crl_url if request.crl_distribution_point else None,
            extended_key_usages=request.extended_key_usages,
            common_name=request.common_name,
        )
        return IssuedCertificate(
            serial_hex=serial_to_hex(certificate.serial_number),
            cert_pem=certificate.public_bytes(_PEM).decode("ascii"),
            chain_pem=self._served_chain_pem,
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )

    def revoke(self, request: RevokeRequest) -> None:
        """Nothing to tell a remote CA: the CRL is built from storage. Validates the request."""
        parse_serial_hex(request.serial_hex)
        reason_flag(request.reason)  # RFC 5280 §5.3.1
        require_aware(request.revoked_at)

    def chain_pem(self) -> str:
        """Intermediate then root, PEM."""
        return self._chain_pem

    # ------------------------------------------------------------------ AlternateChainsCapability

    def alternate_chains_pem(self, chain_pem: str) -> tuple[str, ...]:
        """The cross-signed chains of a certificate served with ``chain_pem``: only while that
        chain starts with this Authority's current issuing CA (a twin certifies its key)."""
        if not chain_pem.startswith(self._served_chain_pem) or not self._served_chain_pem:
            return ()
        return self._alternates

    # ------------------------------------------------------------------ CrlCapability

    def sign_crl(
        self,
        revoked: Sequence[RevokedEntry],
        this_update: datetime,
        next_update: datetime,
        number: int,
    ) -> bytes:
        """A DER CRL signed by the intermediate (RFC 5280 §5)."""
        crl = self._issuer.sign_crl(
            revoked,
            this_update=this_update,
            next_update=next_update,
            number=number,
            crl_url=self._crl_url,
        )
        return crl.public_bytes(serialization.Encoding.DER)

    # ------------------------------------------------------------------ acmehub's own TLS

    def sign_server_certificate(
        self,
        public_key: ec.EllipticCurvePublicKey,
        hosts: Sequence[str],
        not_before: datetime,
        not_after: datetime,
    ) -> x509.Certificate:
        """A server certificate for host names and IP literals (IP SANs for the latter)."""
        names: list[str] = []
        ips: list[IpAddress] = []
        for host in hosts:
            try:
                ips.append(ipaddress.ip_address(host))
            except ValueError:
                names.append(host.lower())
        return self._issuer.sign_leaf(
            public_key=public_key,
            dns_names=names,
            ip_addresses=ips,
            not_before=not_before,
            not_after=not_after,
            crl_url=self._crl_url,
        )


def _served(chain: Sequence[x509.Certificate]) -> str:
    """A chain as clients get it: without the self-signed root (RFC 8446 §4.4.2)."""
    return "".join(c.public_bytes(_PEM).decode("ascii") for c in chain if c.subject != c.issuer)


def issue_tls_server_certificate(
    ca: EmbeddedCa, hosts: list[str], now: datetime, days: int
) -> tuple[str, str]:
    """A certificate and fresh ECDSA P-256 key for acmehub's own HTTPS listener.

    Returns (certificate PEM followed by the chain, unencrypted PKCS#8 key PEM). ``hosts`` may
    mix DNS names and IP addresses.
    """
    if days <= 0:
        raise DomainError(ErrorKind.INVALID_INPUT, "the certificate lifetime must be positive")
    if not hosts:
        raise DomainError(ErrorKind.INVALID_INPUT, "name at least one host for the certificate")
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = ca.sign_server_certificate(
        key.public_key(), hosts, now, now + timedelta(days=days)
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(_PEM).decode("ascii") + ca.chain_pem(), key_pem.decode("ascii")

"""A small raw ACME client for tests: every request is visible and can be bent out of shape."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.jws_signer import AccountKey

JOSE = {"Content-Type": "application/jose+json"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_csr(names: list[str], key: ec.EllipticCurvePrivateKey | None = None) -> tuple[bytes, Any]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]) if names else x509.Name([])
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    csr = builder.sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.DER), key


@dataclass
class AcmeClient:
    http: httpx.Client
    directory_url: str
    key: AccountKey = field(default_factory=lambda: AccountKey.generate("ES256"))
    kid: str | None = None
    _nonce: str | None = None
    _directory: dict[str, Any] | None = None

    @property
    def directory(self) -> dict[str, Any]:
        if self._directory is None:
            r = self.http.get(self.directory_url)
            r.raise_for_status()
            self._directory = r.json()
        return self._directory

    def nonce(self) -> str:
        if self._nonce is not None:
            value, self._nonce = self._nonce, None
            return value
        r = self.http.head(self.directory["newNonce"])
        return r.headers["Replay-Nonce"]

    def post_body(
        self, url: str, body: bytes, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        r = self.http.post(url, content=body, headers=headers if headers is not None else JOSE)
        if "Replay-Nonce" in r.headers:
            self._nonce = r.headers["Replay-Nonce"]
        return r

    def post(
        self,
        url: str,
        payload: dict[str, Any] | bytes,
        *,
        use_jwk: bool = False,
        key: AccountKey | None = None,
        kid: str | None = None,
        nonce: str | None = None,
        sign_url: str | None = None,
    ) -> httpx.Response:
        signer = key or self.key
        body = signer.sign(
            sign_url or url,
            nonce or self.nonce(),
            payload,
            kid=None if use_jwk else (kid or self.kid),
        )
        return self.post_body(url, body)

    def get(self, url: str) -> httpx.Response:
        return self.post(url, b"")

    # ------------------------------------------------------------- flows

    def register(self, **payload: Any) -> httpx.Response:
        payload.setdefault("termsOfServiceAgreed", True)
        r = self.post(self.directory["newAccount"], payload, use_jwk=True)
        if r.status_code in (200, 201):
            self.kid = r.headers["Location"]
        return r

    def new_order(self, names: list[str], **extra: Any) -> httpx.Response:
        payload = {"identifiers": [{"type": "dns", "value": n} for n in names], **extra}
        return self.post(self.directory["newOrder"], payload)

    def key_authorization(self, token: str) -> str:
        return f"{token}.{self.key.thumbprint()}"

    def dns01_value(self, token: str) -> str:
        digest = hashes.Hash(hashes.SHA256())
        digest.update(self.key_authorization(token).encode())
        return b64url(digest.finalize())

    def dns_account01_name(self, name: str) -> str:
        """draft-ietf-acme-dns-account-label §3.2: ``_<label>._acme-challenge.<name>``, the
        label being base32(SHA-256(account URL)[0:10]) in lower case; computed here from the
        account URL the server gave (not through acmehub's own code)."""
        assert self.kid is not None, "register first"
        digest = hashes.Hash(hashes.SHA256())
        digest.update(self.kid.encode())
        label = base64.b32encode(digest.finalize()[:10]).decode().lower()
        return f"_{label}._acme-challenge.{name}"

    def dns_persist_record(self, issuer: str, *extra: str) -> str:
        """draft-ietf-acme-dns-persist §4.1: ``<issuer>; accounturi=<account URL>[; ...]``."""
        assert self.kid is not None, "register first"
        return "; ".join((issuer, f"accounturi={self.kid}", *extra))

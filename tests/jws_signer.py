"""A small ACME client-side JWS signer for tests, written with jwcrypto.

    key = AccountKey.generate("ES256")
    body = key.sign(url, nonce, {"termsOfServiceAgreed": True})           # jwk request
    body = key.sign(url, nonce, b"", kid=account_url)                      # POST-as-GET
    eab = sign_eab("key-id", hmac_key, new_account_url, key.jwk_public())  # RFC 8555 §7.3.4

``sign_raw`` signs any protected header exactly as given, to build requests our server must
refuse; ``flattened`` assembles a body from arbitrary parts.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwcrypto.jwa import JWA
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

ALGORITHMS = ("RS256", "ES256", "ES384", "ES512", "EdDSA")

_GENERATE: dict[str, dict[str, Any]] = {
    "RS256": {"kty": "RSA", "size": 2048},
    "ES256": {"kty": "EC", "crv": "P-256"},
    "ES384": {"kty": "EC", "crv": "P-384"},
    "ES512": {"kty": "EC", "crv": "P-521"},
    "EdDSA": {"kty": "OKP", "crv": "Ed25519"},
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def json_b64(obj: Any) -> str:
    return b64url(json.dumps(obj).encode())


def flattened(protected: str, payload: str, signature: str, **extra: Any) -> bytes:
    """A flattened JSON body from already-encoded parts (plus any extra members)."""
    return json.dumps(
        {"protected": protected, "payload": payload, "signature": signature, **extra}
    ).encode()


def _payload_bytes(payload: Mapping[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


class AccountKey:
    """An ACME account key pair with the JWS algorithm it signs with."""

    def __init__(self, alg: str, jwk: JWK) -> None:
        self.alg = alg
        self.jwk = jwk

    @classmethod
    def generate(cls, alg: str = "ES256") -> AccountKey:
        return cls(alg, JWK.generate(**_GENERATE[alg]))

    @classmethod
    def from_private_key(cls, alg: str, key: Any) -> AccountKey:
        """Wrap a pyca private key."""
        return cls(alg, JWK.from_pyca(key))

    @classmethod
    def generate_rsa(cls, bits: int) -> AccountKey:
        """An RS256 key of any size (e.g. 1024 bits, which servers must refuse)."""
        return cls.from_private_key("RS256", rsa.generate_private_key(65537, bits))

    def private_key(
        self,
    ) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey:
        """The pyca private key (for other client libraries such as josepy)."""
        key = self.jwk.get_op_key("sign")
        assert isinstance(
            key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)
        )
        return key

    def jwk_public(self) -> dict[str, Any]:
        """The public JWK as a client sends it."""
        return dict(self.jwk.export_public(as_dict=True))

    def thumbprint(self) -> str:
        return str(self.jwk.thumbprint())

    def sign(
        self,
        url: str,
        nonce: str,
        payload: Mapping[str, Any] | bytes,
        kid: str | None = None,
    ) -> bytes:
        """A request body: flattened JSON JWS with alg, nonce, url and kid or jwk (RFC 8555 §6.2).

        ``payload`` is a JSON object, or b"" for POST-as-GET.
        """
        protected: dict[str, Any] = {"alg": self.alg, "nonce": nonce, "url": url}
        if kid is None:
            protected["jwk"] = self.jwk_public()
        else:
            protected["kid"] = kid
        jws = JWS(_payload_bytes(payload))
        jws.add_signature(self.jwk, alg=self.alg, protected=json.dumps(protected))
        return str(jws.serialize()).encode()

    def sign_raw(
        self, protected: Mapping[str, Any] | str, payload: Mapping[str, Any] | bytes | str
    ) -> dict[str, str]:
        """Sign any protected header as given (even one claiming another "alg").

        ``protected`` / ``payload`` given as ``str`` are used as already base64url-encoded.
        Returns the three flattened members.
        """
        protected_b64 = protected if isinstance(protected, str) else json_b64(dict(protected))
        payload_b64 = payload if isinstance(payload, str) else b64url(_payload_bytes(payload))
        signing_input = f"{protected_b64}.{payload_b64}".encode("ascii")
        signature = JWA.signing_alg(self.alg).sign(self.jwk, signing_input)
        return {"protected": protected_b64, "payload": payload_b64, "signature": b64url(signature)}

    def sign_raw_body(
        self, protected: Mapping[str, Any] | str, payload: Mapping[str, Any] | bytes | str
    ) -> bytes:
        return json.dumps(self.sign_raw(protected, payload)).encode()


def sign_eab(
    key_id: str,
    hmac_key: bytes,
    url: str,
    account_jwk: Mapping[str, Any],
    alg: str = "HS256",
    extra_headers: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The externalAccountBinding value for a newAccount payload (RFC 8555 §7.3.4)."""
    protected = {"alg": alg, "kid": key_id, "url": url, **(extra_headers or {})}
    jws = JWS(json.dumps(dict(account_jwk)).encode())
    key = JWK(kty="oct", k=b64url(hmac_key))
    jws.add_signature(key, alg=alg, protected=json.dumps(protected))
    result = json.loads(jws.serialize())
    assert isinstance(result, dict)
    return result

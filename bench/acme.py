"""The client side of ACME the load generator needs: ES256 JWS signing and one session.

Signing uses pyca/cryptography directly (no JOSE library on the hot path): the JWK, its
thumbprint (RFC 7638) and the base64url parts that never change are computed once per key.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from bench.stats import Stats

JOSE = {"Content-Type": "application/jose+json"}
PEM_CHAIN = {"Accept": "application/pem-certificate-chain"}
ACME_ERROR = "urn:ietf:params:acme:error:"
_SHA256 = ec.ECDSA(hashes.SHA256())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


class Signer:
    """An ES256 account key: signs flattened JWS request bodies (RFC 8555 §6.2)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self.key = key
        numbers = key.public_key().public_numbers()
        self.jwk = {
            "crv": "P-256",
            "kty": "EC",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }
        # RFC 7638: the required members in lexicographic order, no whitespace.
        self.thumbprint = b64url(hashlib.sha256(_compact(self.jwk)).digest())

    def sign(
        self, url: str, nonce: str, payload: Mapping[str, Any] | None, kid: str | None
    ) -> bytes:
        """A request body; ``payload`` None is POST-as-GET (empty payload)."""
        protected: dict[str, Any] = {"alg": "ES256", "nonce": nonce, "url": url}
        if kid is None:
            protected["jwk"] = self.jwk
        else:
            protected["kid"] = kid
        protected_b64 = b64url(_compact(protected))
        payload_b64 = "" if payload is None else b64url(_compact(payload))
        der = self.key.sign(f"{protected_b64}.{payload_b64}".encode("ascii"), _SHA256)
        r, s = decode_dss_signature(der)
        signature = b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        return _compact(
            {"protected": protected_b64, "payload": payload_b64, "signature": signature}
        )

    def key_authorization(self, token: str) -> str:
        return f"{token}.{self.thumbprint}"


def csr_der(names: list[str], key: ec.EllipticCurvePrivateKey) -> bytes:
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


class AcmeError(Exception):
    """A request failed; ``kind`` is the ACME problem type without its URN prefix, or
    ``http-<status>`` when the body is not a problem document."""

    def __init__(self, kind: str, status: int, detail: str = "") -> None:
        super().__init__(f"{kind} ({status}): {detail}")
        self.kind = kind
        self.status = status
        self.detail = detail


class HeadersLike(Protocol):
    def get(self, name: str, default: str | None = None) -> str | None: ...
    def __getitem__(self, name: str) -> str: ...
    def __contains__(self, name: object) -> bool: ...


class ResponseLike(Protocol):
    """What we read of a response: httpx's, or bench.http1's."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> HeadersLike: ...
    @property
    def content(self) -> bytes: ...
    def json(self) -> Any: ...


class ClientLike(Protocol):
    async def head(self, url: str) -> Any: ...
    async def post(self, url: str, *, content: bytes, headers: Mapping[str, str]) -> Any: ...


def problem_of(response: ResponseLike) -> AcmeError:
    kind, detail = f"http-{response.status_code}", ""
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("type"), str):
        kind = doc["type"].removeprefix(ACME_ERROR)
        detail = str(doc.get("detail", ""))
    return AcmeError(kind, response.status_code, detail)


def retry_after(response: ResponseLike, default: float) -> float:
    """Seconds the server asks us to wait (RFC 9110 §10.2.3: delay-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


@dataclass
class Directory:
    new_nonce: str
    new_account: str
    new_order: str
    terms_of_service: bool

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> Directory:
        meta = doc.get("meta") or {}
        return cls(
            doc["newNonce"], doc["newAccount"], doc["newOrder"], bool(meta.get("termsOfService"))
        )


class Session:
    """One virtual client's HTTP/1.1 keep-alive connection and its current Replay-Nonce."""

    def __init__(self, http: ClientLike, directory: Directory, stats: Stats) -> None:
        self.http = http
        self.directory = directory
        self.stats = stats
        self._nonce: str | None = None

    def _keep_nonce(self, response: ResponseLike) -> None:
        self._nonce = response.headers.get("Replay-Nonce") or self._nonce

    async def new_nonce(self) -> str:
        start = time.perf_counter()
        response: ResponseLike = await self.http.head(self.directory.new_nonce)
        self.stats.request("new-nonce", time.perf_counter() - start, response.status_code)
        if response.status_code != 200 or "Replay-Nonce" not in response.headers:
            raise problem_of(response)
        return response.headers["Replay-Nonce"]

    async def nonce(self) -> str:
        if self._nonce is not None:
            value, self._nonce = self._nonce, None
            return value
        return await self.new_nonce()

    async def post(
        self,
        endpoint: str,
        url: str,
        signer: Signer,
        payload: Mapping[str, Any] | None,
        kid: str | None,
        headers: Mapping[str, str] = JOSE,
    ) -> ResponseLike:
        """Sign and POST; one retry on badNonce with the nonce the error carried."""
        for attempt in (1, 2):
            body = signer.sign(url, await self.nonce(), payload, kid)
            start = time.perf_counter()
            response: ResponseLike = await self.http.post(url, content=body, headers=headers)
            self.stats.request(endpoint, time.perf_counter() - start, response.status_code)
            self._keep_nonce(response)
            if response.status_code < 400:
                return response
            problem = problem_of(response)
            if problem.kind != "badNonce" or attempt == 2:
                raise problem
            self.stats.bad_nonce_retry()
        raise AssertionError("unreachable")

    def keep(self, nonce: str) -> None:
        self._nonce = nonce

    def forget_nonce(self) -> None:
        self._nonce = None

    async def new_account(self, signer: Signer) -> str:
        payload: dict[str, Any] = {"termsOfServiceAgreed": True}
        response = await self.post("new-account", self.directory.new_account, signer, payload, None)
        location: str | None = response.headers.get("Location")
        if not location:
            raise AcmeError("no-account-location", response.status_code)
        return location

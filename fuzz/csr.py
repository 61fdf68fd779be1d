"""Fuzz target: a finalize CSR through the CSR checks of domain/csr.py (RFC 8555 §7.4, RFC 2986),
issue 15 §8.

Whatever a client sends as a CSR, ``check_finalize_csr`` answers with the decoded CSR or a
DomainError that renders as an ACME problem document other than serverInternal; any other
exception is a crash. What it accepts must request exactly the order's names with a key other
than the account's.

    python fuzz/csr.py -max_total_time=120      # `make fuzz` runs every fuzz/*.py

Two shapes of input: the bytes as the CSR's DER, and a real CSR built from the bytes (names,
subject, extensions drawn from the input, signed by a fixed key) with a few of its bytes then
changed, which reaches the name and signature checks far more often than random DER does.
"""

from __future__ import annotations

import json
import sys

import atheris

with atheris.instrument_imports():
    from acmehub.domain.csr import check_finalize_csr, parse_csr, spki_sha256_hex
    from acmehub.domain.errors import DomainError, ErrorKind
    from acmehub.protocol.problems import STATUS

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_KEY = ec.derive_private_key(0xC5F, ec.SECP256R1())
_ACCOUNT_KEY = ec.derive_private_key(0xACC, ec.SECP256R1())
_PIECES = ("example.com", "*.example.com", "EXAMPLE.com", "a.b", "xn--", ".", "127.0.0.1", "::1")
_HASHES = (hashes.SHA256(), hashes.SHA384(), hashes.SHA512(), hashes.SHA224())


def _name(fdp: atheris.FuzzedDataProvider) -> str:
    if fdp.ConsumeBool():
        return _PIECES[fdp.ConsumeIntInRange(0, len(_PIECES) - 1)]
    return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 20))


def _general_name(fdp: atheris.FuzzedDataProvider, value: str) -> x509.GeneralName:
    choice = fdp.ConsumeIntInRange(0, 5)
    if choice == 4:
        return x509.RFC822Name(value)
    if choice == 5:
        return x509.UniformResourceIdentifier(value)
    return x509.DNSName(value)


def _built(fdp: atheris.FuzzedDataProvider) -> tuple[bytes, list[str]] | None:
    names = [_name(fdp) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    builder = x509.CertificateSigningRequestBuilder()
    try:
        attributes = []
        if fdp.ConsumeIntInRange(0, 3):
            attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, _name(fdp) or "x"))
        builder = builder.subject_name(x509.Name(attributes))
        if names and fdp.ConsumeIntInRange(0, 5):
            sans = [_general_name(fdp, n) for n in names]
            builder = builder.add_extension(
                x509.SubjectAlternativeName(sans), critical=fdp.ConsumeBool()
            )
        key = _ACCOUNT_KEY if not fdp.ConsumeIntInRange(0, 15) else _KEY
        der = builder.sign(key, _HASHES[fdp.ConsumeIntInRange(0, 3)]).public_bytes(
            serialization.Encoding.DER
        )
    except (ValueError, TypeError, UnicodeError):
        return None  # cryptography would not build it: not something a client can send
    mutable = bytearray(der)
    for _ in range(fdp.ConsumeIntInRange(0, 3) if fdp.ConsumeBool() else 0):
        mutable[fdp.ConsumeIntInRange(0, len(mutable) - 1)] = fdp.ConsumeInt(1) & 0xFF
    order = [n for n in names if fdp.ConsumeIntInRange(0, 7)]
    return bytes(mutable), order


_ACCOUNT_SPKI = spki_sha256_hex(_ACCOUNT_KEY.public_key())


def _check(der: bytes, order_names: list[str]) -> None:
    try:
        info = check_finalize_csr(
            der, order_names=order_names, account_spki_sha256_hex=_ACCOUNT_SPKI
        )
    except DomainError as error:
        if error.kind is ErrorKind.SERVER_INTERNAL or error.kind not in STATUS:
            raise AssertionError(f"CSR check answered {error.kind}: {error.detail}") from error
        json.dumps(error.problem.to_json())
        return
    if info.spki_sha256_hex == _ACCOUNT_SPKI:
        raise AssertionError("accepted a CSR with the account's key")
    if info.dns_names != {n.lower() for n in order_names}:
        raise AssertionError(f"accepted names {sorted(info.dns_names)} for {order_names}")
    if parse_csr(der) != info:
        raise AssertionError("the same CSR decoded differently")


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris's name)
    fdp = atheris.FuzzedDataProvider(data)
    _check(data, [_name(fdp)])
    built = _built(fdp)
    if built is not None:
        _check(*built)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()

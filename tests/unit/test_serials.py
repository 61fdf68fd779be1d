"""Certificate serials are shown in whole octets, as ``openssl x509 -serial`` prints them (a
leading zero nibble kept), in the API's shapes and the CLI's tables; lookups take both forms."""

from __future__ import annotations

import io

import pytest
from cryptography import x509

from acmehub.cli import build_parser
from acmehub.cli_admin import certificates as cli_certificates
from acmehub.cli_admin.backend import LocalBackend
from acmehub.cli_admin.base import Admin
from acmehub.domain.errors import DomainError
from acmehub.domain.model import Certificate, serial_display, serial_lookup
from acmehub.management.routers.certificates import CertificateSummary
from acmehub.services.admin import CLI_ACTOR
from tests.fakes import MemoryWorld


def _openssl_serial(cert: Certificate) -> str:
    """What ``openssl x509 -serial`` prints after ``serial=``: the DER INTEGER's octets."""
    number = x509.load_pem_x509_certificate(cert.pem.encode()).serial_number
    return number.to_bytes((number.bit_length() + 7) // 8, "big").hex()


@pytest.fixture(scope="module")
def leading_zero(tmp_path_factory: pytest.TempPathFactory) -> tuple[MemoryWorld, Certificate]:
    """A world with a certificate whose serial starts with a zero nibble (1 in 8 do: 159
    random bits; 300 tries miss with a chance of about 1e-17)."""
    world = MemoryWorld.build(tmp_path_factory.mktemp("serials"))
    world.profiles()
    ctx = world.context()
    account, key = world.new_account(ctx)
    for n in range(300):
        cert, _ = world.issue(ctx, account, key, f"s{n}.serial.example")
        if len(cert.serial_hex) % 2:
            return world, cert
    raise AssertionError("no serial with a leading zero nibble in 300 certificates")


def test_the_display_form_is_openssls(leading_zero: tuple[MemoryWorld, Certificate]) -> None:
    _, cert = leading_zero
    shown = cert.serial_display
    assert shown == _openssl_serial(cert)
    assert shown.startswith("0")
    assert len(shown) % 2 == 0
    assert shown == "0" + cert.serial_hex
    assert serial_display("1a2b") == "1a2b"


def test_the_api_shape_keeps_the_leading_zero(
    leading_zero: tuple[MemoryWorld, Certificate],
) -> None:
    world, cert = leading_zero
    view = world.services.certificate_admin.get(CLI_ACTOR, cert.id)
    assert CertificateSummary.of(view).serial_number == _openssl_serial(cert)


def _cli(world: MemoryWorld, *argv: str) -> str:
    args = build_parser().parse_args(argv)
    backend = LocalBackend(world.services, CLI_ACTOR)
    admin = Admin(backend, json=False, local=world.services, out=io.StringIO())
    handler = {"list": cli_certificates._list, "show": cli_certificates._show}[args.action]
    handler(admin, args)
    out = admin.out.getvalue()
    assert isinstance(out, str)
    return out


def test_the_cli_prints_and_finds_the_openssl_form(
    leading_zero: tuple[MemoryWorld, Certificate],
) -> None:
    world, cert = leading_zero
    openssl = _openssl_serial(cert)
    table = _cli(world, "certificate", "list", "--limit", "1000")
    row = next(line.split() for line in table.splitlines() if line.startswith(cert.id))
    assert row[1] == openssl
    for ref in (
        openssl,
        cert.serial_hex,
        openssl.upper(),
        ":".join(openssl[i : i + 2] for i in range(0, len(openssl), 2)),
    ):
        shown = dict(
            line.split(maxsplit=1) for line in _cli(world, "certificate", "show", ref).splitlines()
        )
        assert (shown["id"], shown["serialNumber"]) == (cert.id, openssl)


def test_lookups_by_serial_take_either_form(leading_zero: tuple[MemoryWorld, Certificate]) -> None:
    world, cert = leading_zero
    admin = world.services.certificate_admin
    for ref in (cert.serial_hex, cert.serial_display, cert.serial_display.upper()):
        assert admin.get(CLI_ACTOR, ref).certificate.id == cert.id
    with pytest.raises(DomainError, match="Certificate not found"):
        admin.get(CLI_ACTOR, "00")
    assert serial_lookup("00:0A:bc") == "abc"
    assert serial_lookup("xyz") is None
    assert serial_lookup("1" * 41) is None

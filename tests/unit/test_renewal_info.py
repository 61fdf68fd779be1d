"""RFC 9773 pure rules: certIDs (§4.1) and suggested windows (§4.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Certificate
from acmehub.domain.renewal_info import CertId, parse_cert_id, suggested_window

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def certificate(serial_hex: str = "1234abcd", days: int = 90) -> Certificate:
    return Certificate(
        id="c1",
        serial_hex=serial_hex,
        order_id="o1",
        account_id="a1",
        pem="",
        chain_pem="",
        names=("www.example.com",),
        not_before=NOW,
        not_after=NOW + timedelta(days=days),
        ra_profile_uuid="ra",
        acme_profile_uuid="acme",
        authority_uuid="ca",
        key_thumbprint="00",
        issued_at=NOW,
    )


def test_the_rfc_example_cert_id() -> None:
    # RFC 9773 §4.1: AKI 69:88:5B:...:D4 and serial 00:87:65:43:21.
    parsed = parse_cert_id("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
    assert parsed.key_identifier.hex() == "69885b6b87464041e1b37b847ba0ae2cde01c8d4"
    assert parsed.serial == 0x87654321
    assert parsed.serial_hex == "87654321"
    assert parsed.encode() == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"


@given(st.binary(min_size=1, max_size=32), st.integers(min_value=1, max_value=2**159 - 1))
def test_encode_then_parse_round_trips(key_id: bytes, serial: int) -> None:
    ident = CertId(key_id, serial)
    assert parse_cert_id(ident.encode()) == ident


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nodot",
        "a.b.c",
        ".AQ",
        "aGk.",
        "aGk=.AQ",
        "aGk.AQ==",
        "aG k.AQ",
        "aGk.gA",
        "aGk.AAE",
        "aGk.AA",
    ],
)
def test_malformed_cert_ids(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_cert_id(text)
    assert refused.value.kind is ErrorKind.MALFORMED
    assert "RFC 9773" in refused.value.detail


@pytest.mark.parametrize("days", [6, 90, 397])
def test_default_window_in_the_last_third(days: int) -> None:
    cert = certificate(days=days)
    window = suggested_window(cert)
    life = cert.not_after - cert.not_before
    assert window.reason == "default"
    assert cert.not_before + life * 2 / 3 - timedelta(seconds=1) <= window.start < window.end
    assert window.end <= cert.not_before + life * 5 / 6
    assert suggested_window(cert) == window  # fixed per certificate


def test_windows_spread_per_certificate() -> None:
    starts = {suggested_window(certificate(format(n, "x"))).start for n in range(1, 200)}
    assert len(starts) > 150  # not one minute for a whole fleet
    span = max(starts) - min(starts)
    assert span > timedelta(days=5)  # over most of a twelfth of 90 days (7.5 days)


def test_moved_and_revoked_windows_lie_in_the_past() -> None:
    moved_at = NOW + timedelta(days=3)
    moved = replace(
        certificate(), renewal_moved_at=moved_at, renewal_explanation_url="https://x.example/"
    )
    window = suggested_window(moved)
    assert (window.end, window.reason, window.explanation_url) == (
        moved_at,
        "moved",
        "https://x.example/",
    )
    assert window.start < window.end
    revoked = replace(moved, revoked_at=NOW + timedelta(days=4), revocation_reason=4)
    assert suggested_window(revoked).end == NOW + timedelta(days=4)
    assert suggested_window(revoked).reason == "revoked"

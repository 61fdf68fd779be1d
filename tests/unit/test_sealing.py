"""CA keys sealed under a key-encryption key: they open with the same KEK, for the same
Authority and role only, and every refusal says why without the key."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from acmehub.ca.embedded.keys import key_matches_certificate
from acmehub.ca.embedded.sealing import new_kek_text, open_key, parse_kek, seal_key
from acmehub.ca.embedded.stored import create_stored_authority, load_stored_issuer
from acmehub.domain.errors import DomainError, ErrorKind
from tests.unit.test_embedded_ca import NOW


def test_a_sealed_key_opens_with_its_kek_authority_and_role_only() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    one = parse_kek(new_kek_text(), "one")
    authority = str(uuid.uuid4())
    sealed = seal_key(one, key, authority, "issuer")
    opened = open_key(one, sealed, authority, "issuer")
    assert opened.private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    for kek_, owner, role, says in [
        (parse_kek(new_kek_text(), "two"), authority, "issuer", "this machine has"),
        (None, authority, "issuer", "this machine has none"),
        (one, str(uuid.uuid4()), "issuer", "does not open"),
        (one, authority, "root", "does not open"),
    ]:
        with pytest.raises(DomainError) as refused:
            open_key(kek_, sealed, owner, role)
        assert refused.value.kind is ErrorKind.SERVER_INTERNAL
        assert says in refused.value.detail


def test_a_kek_must_be_32_bytes_of_base64() -> None:
    with pytest.raises(DomainError, match="base64 of 32 bytes"):
        parse_kek("c2hvcnQ=", "ACMEHUB_CA_KEK")


def test_a_stored_authority_loads_from_its_row_alone() -> None:
    one = parse_kek(new_kek_text(), "one")
    authority = str(uuid.uuid4())
    made = create_stored_authority(authority, name="Row CA", key_type="ec-p256", kek=one, now=NOW)
    assert made.key_material["issuer"]["data"] not in repr(made)  # secrets stay out of logs
    issuer = load_stored_issuer(authority, made.config, made.key_material, one)
    assert key_matches_certificate(issuer.key, issuer.certificate)
    assert issuer.chain[0].subject == issuer.chain[0].issuer  # the root

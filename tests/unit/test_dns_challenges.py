"""dns-account-01 labels and dns-persist-01 records (no I/O): the names, the record syntax and
what a record authorizes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from acmehub.domain.dns_challenges import (
    account_challenge_name,
    account_label,
    offered_challenge_types,
    persist_issuer_domains,
    persist_record,
)
from acmehub.domain.model import (
    AcmeProfile,
    ChallengeType,
    Identifier,
    IssuancePolicy,
    RaProfile,
    ValidationTask,
)
from acmehub.validation.dns_persist01 import RecordSyntaxError, parse_record, refusal

ACCOUNT = "https://ca.example/acme/default/acct/abc"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_account_label_is_the_drafts_example() -> None:
    # The example account of draft-ietf-acme-dns-account-label (and of client docs quoting it).
    assert account_label("https://example.com/acme/acct/ExampleAccount") == "_ujmmovf2vn55tgye"
    assert (
        account_challenge_name("https://example.com/acme/acct/ExampleAccount", "example.org")
        == "_ujmmovf2vn55tgye._acme-challenge.example.org"
    )


def test_the_label_depends_on_the_account_url() -> None:
    assert account_label(ACCOUNT) != account_label(ACCOUNT + "x")
    assert len(account_label(ACCOUNT)) == 17


def _profiles(**acme: object) -> tuple[AcmeProfile, RaProfile]:
    profile = AcmeProfile(uuid="a", name="a", enabled=True, **acme)  # type: ignore[arg-type]
    return profile, RaProfile(uuid="r", name="r", authority_uuid="x", enabled=True)


def test_newer_types_are_offered_only_when_the_profile_says_so() -> None:
    name = Identifier("dns", "www.example.com")
    acme, ra = _profiles()
    assert offered_challenge_types(name, acme, ra) == (
        ChallengeType.HTTP_01,
        ChallengeType.DNS_01,
        ChallengeType.TLS_ALPN_01,
    )
    acme, ra = _profiles(offer_dns_account_01=True, offer_dns_persist_01=True)
    # No issuer domain name: dns-persist-01 cannot be offered (its list must not be empty).
    assert ChallengeType.DNS_PERSIST_01 not in offered_challenge_types(name, acme, ra)
    acme = replace(acme, caa_identities=("CA.Example.",))
    offered = offered_challenge_types(Identifier("dns", "*.example.com"), acme, ra)
    assert offered == (
        ChallengeType.DNS_01,
        ChallengeType.DNS_ACCOUNT_01,
        ChallengeType.DNS_PERSIST_01,
    )
    assert persist_issuer_domains(acme, ra) == ("ca.example",)
    ra = replace(ra, policy=IssuancePolicy(caa_issuer_domains=("ra.example",)))
    assert persist_issuer_domains(acme, ra) == ("ra.example",)


def test_the_record_to_publish_parses_back() -> None:
    until = datetime(2027, 1, 1, tzinfo=UTC)
    text = persist_record("ca.example", ACCOUNT, wildcard=True, persist_until=until)
    assert text == f"ca.example; accounturi={ACCOUNT}; policy=wildcard; persistUntil=1798761600"
    record = parse_record(text)
    assert (record.issuer_domain, record.account_uri, record.policy) == (
        "ca.example",
        ACCOUNT,
        "wildcard",
    )
    assert record.persist_until == until


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("ca.example", "missing mandatory accounturi"),
        ("ca.example; accounturi=", "missing mandatory accounturi"),
        (f"ca.example; accounturi={ACCOUNT}; accounturi={ACCOUNT}", "duplicate parameter"),
        (f"ca.example; accounturi={ACCOUNT}; persistUntil=soon", "malformed persistUntil"),
        (f"ca.example; accounturi={ACCOUNT};", "malformed parameter"),
        (f"ca..example; accounturi={ACCOUNT}", "malformed issuer-domain-name"),
        (f"ca.example; accounturi {ACCOUNT}", "malformed parameter"),
    ],
)
def test_malformed_records_say_why(text: str, why: str) -> None:
    with pytest.raises(RecordSyntaxError, match=why):
        parse_record(text)


def test_unknown_parameters_are_ignored_and_tags_match_without_case() -> None:
    record = parse_record(f"ca.example;AccountURI={ACCOUNT}; future=1; POLICY=WildCard")
    assert record.account_uri == ACCOUNT
    assert record.policy == "WildCard"


def _task(**changes: object) -> ValidationTask:
    task = ValidationTask(
        challenge_id="c",
        type=ChallengeType.DNS_PERSIST_01,
        identifier=Identifier("dns", "example.com"),
        token="",
        key_authorization="",
        dns_resolver_ip=None,
        dns_resolver_port=None,
        account_uris=(ACCOUNT,),
        checked_at=NOW,
    )
    return replace(task, **changes)  # type: ignore[arg-type]


def test_what_a_record_authorizes() -> None:
    good = parse_record(f"ca.example; accounturi={ACCOUNT}")
    assert refusal(good, _task()) is None
    other = parse_record("ca.example; accounturi=https://ca.example/acme/default/acct/other")
    assert "is not this account's URL" in (refusal(other, _task()) or "")
    # RFC 3986 §6.2.1 simple string comparison: no case folding.
    upper = parse_record(f"ca.example; accounturi={ACCOUNT.upper()}")
    assert refusal(upper, _task()) is not None
    assert "policy=wildcard" in (refusal(good, _task(wildcard=True)) or "")
    wildcard = parse_record(f"ca.example; accounturi={ACCOUNT}; policy=WILDCARD")
    assert refusal(wildcard, _task(wildcard=True)) is None
    expired = parse_record(f"ca.example; accounturi={ACCOUNT}; persistUntil=1700000000")
    assert "expired at 2023-11-14T22:13:20Z" in (refusal(expired, _task()) or "")
    later = parse_record(f"ca.example; accounturi={ACCOUNT}; persistUntil=1900000000")
    assert refusal(later, _task()) is None

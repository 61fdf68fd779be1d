"""CAA (RFC 8659, RFC 8657) checked by the VA beside a dns-01 challenge that passes, against
pebble-challtestsrv's DNS server (and a tiny DNS server for what challtestsrv cannot serve:
flags other than 0)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ChallengeType, Identifier, ValidationTask
from acmehub.validation import ValidationAuthority, VaSettings, expected_txt
from tests.support.va import blocking

pytestmark = pytest.mark.timeout(30)

DNS01 = ChallengeType.DNS_01
US = "ca.acmehub.example"
ACCOUNT = "https://acmehub.example/acme/default/acct/ours"


def validate(task: ValidationTask):
    return blocking(ValidationAuthority(VaSettings(timeout=2.0))).validate(task)


@pytest.fixture
def caa_task(challtestsrv, task_for):
    """A dns-01 task for ``name`` whose TXT record is in place, with CAA checking on."""

    def factory(name: str, *, wildcard: bool = False, **changes) -> ValidationTask:
        task = task_for(DNS01, name)
        challtestsrv.set_txt(f"_acme-challenge.{name}", expected_txt(task.key_authorization))
        changes.setdefault("caa_checking", True)
        changes.setdefault("caa_issuer_domains", (US,))
        changes.setdefault("account_uris", (ACCOUNT,))
        return replace(task, wildcard=wildcard, **changes)

    return factory


def test_no_record_anywhere_permits_after_climbing_to_the_tld(caa_task, name):
    leaf = f"www.{name}"
    result = validate(caa_task(leaf))
    assert result.ok, result.problem
    # RFC 8659 §3: every label up to (not including) the root, one query each.
    asked = [a for a in result.attempts if a.startswith("CAA ") and ":" not in a]
    assert asked == [f"CAA {leaf}", f"CAA {name}", "CAA acmehub.test", "CAA test"]


def test_issue_naming_us_permits(challtestsrv, caa_task, name):
    challtestsrv.add_caa(name, ("issue", US))
    result = validate(caa_task(name))
    assert result.ok, result.problem
    assert f'CAA {name}: 0 issue "{US}"' in result.attempts


def test_issue_naming_another_ca_refuses(challtestsrv, caa_task, name, expect_problem):
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    result = validate(caa_task(name))
    detail = expect_problem(
        result,
        ErrorKind.CAA,
        f'CAA record for {name} prevents issuance: 0 issue "other-ca.example"',
    )
    assert US in detail  # says which name it wanted
    assert result.problem is not None
    assert result.problem.identifier == ("dns", name)


def test_an_empty_issuer_forbids_everyone(challtestsrv, caa_task, name, expect_problem):
    challtestsrv.add_caa(name, ("issue", ";"))
    expect_problem(validate(caa_task(name)), ErrorKind.CAA, '0 issue ";"')


def test_one_record_naming_us_among_others_permits(challtestsrv, caa_task, name):
    challtestsrv.add_caa(name, ("issue", "other-ca.example"), ("issue", f"{US.upper()}; x=y"))
    result = validate(caa_task(name))
    assert result.ok, result.problem


def test_iodef_alone_restricts_nothing(challtestsrv, caa_task, name):
    challtestsrv.add_caa(name, ("iodef", "mailto:security@example.com"))
    assert validate(caa_task(name)).ok


def test_issuewild_governs_wildcards(challtestsrv, caa_task, name, expect_problem):
    challtestsrv.add_caa(name, ("issue", US), ("issuewild", "other-ca.example"))
    assert validate(caa_task(name)).ok
    expect_problem(
        validate(caa_task(name, wildcard=True)), ErrorKind.CAA, '0 issuewild "other-ca.example"'
    )


def test_issuewild_naming_us_permits_a_wildcard_that_issue_forbids(challtestsrv, caa_task, name):
    challtestsrv.add_caa(name, ("issue", ";"), ("issuewild", US))
    assert validate(caa_task(name, wildcard=True)).ok


def test_a_wildcard_falls_back_to_issue(challtestsrv, caa_task, name, expect_problem):
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    expect_problem(validate(caa_task(name, wildcard=True)), ErrorKind.CAA, "0 issue")
    challtestsrv.clear_caa(name)
    challtestsrv.add_caa(name, ("issue", US))
    assert validate(caa_task(name, wildcard=True)).ok


def test_accounturi_must_be_ours(challtestsrv, caa_task, name, expect_problem):
    other = f"{name}"
    mine = f"ours.{name}"
    challtestsrv.add_caa(other, ("issue", f"{US}; accounturi=https://acmehub.example/acct/else"))
    challtestsrv.add_caa(mine, ("issue", f"{US}; accounturi={ACCOUNT}"))
    expect_problem(validate(caa_task(other)), ErrorKind.CAA, "accounturi names another account")
    result = validate(caa_task(mine))
    assert result.ok, result.problem


def test_validationmethods_must_list_the_method_used(challtestsrv, caa_task, name, expect_problem):
    challtestsrv.add_caa(name, ("issue", f"{US}; validationmethods=http-01,tls-alpn-01"))
    expect_problem(
        validate(caa_task(name)), ErrorKind.CAA, "validationmethods does not allow dns-01"
    )
    allowed = f"ok.{name}"
    challtestsrv.add_caa(allowed, ("issue", f"{US}; validationmethods=http-01,dns-01"))
    assert validate(caa_task(allowed)).ok


def test_a_record_at_the_parent_is_found_by_climbing(challtestsrv, caa_task, name, expect_problem):
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    leaf = f"deep.www.{name}"
    expect_problem(
        validate(caa_task(leaf)),
        ErrorKind.CAA,
        f'CAA record for {name} prevents issuance: 0 issue "other-ca.example"',
    )


def test_the_closest_record_set_wins(challtestsrv, caa_task, name):
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    leaf = f"www.{name}"
    challtestsrv.add_caa(leaf, ("issue", US))
    result = validate(caa_task(leaf))
    assert result.ok, result.problem
    assert f"CAA {name}" not in result.attempts  # the climb stopped at the first set


def test_a_cname_is_followed(challtestsrv, caa_task, name, expect_problem):
    alias, target = f"alias.{name}", f"target.{name}"
    challtestsrv.set_cname(alias, target)
    challtestsrv.add_caa(target, ("issue", "other-ca.example"))
    expect_problem(
        validate(caa_task(alias)), ErrorKind.CAA, f"CAA record for {alias} prevents issuance"
    )
    challtestsrv.clear_caa(target)
    challtestsrv.add_caa(target, ("issue", US))
    assert validate(caa_task(alias)).ok


def test_servfail_refuses_with_type_dns(challtestsrv, caa_task, name, expect_problem):
    leaf = f"www.{name}"
    task = caa_task(leaf)
    challtestsrv.set_servfail(name)  # the parent fails; the leaf has no CAA
    expect_problem(validate(task), ErrorKind.DNS, f"SERVFAIL looking up CAA for {name}")


def test_caa_checking_off_permits(challtestsrv, caa_task, name):
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    result = validate(caa_task(name, caa_checking=False))
    assert result.ok, result.problem
    assert not [a for a in result.attempts if a.startswith("CAA ")]


def test_a_failed_challenge_wins_over_caa(challtestsrv, task_for, name, expect_problem):
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    task = replace(task_for(DNS01, f"nochallenge.{name}"), caa_checking=True)
    result = validate(task)
    assert result.problem is not None
    assert result.problem.kind is not ErrorKind.CAA


def test_dnssec_required_refuses_answers_without_the_ad_bit(
    challtestsrv, caa_task, name, expect_problem
):
    # challtestsrv does not validate DNSSEC: its answers never carry AD.
    expect_problem(
        validate(caa_task(name, dnssec_required=True)),
        ErrorKind.DNS,
        "was not DNSSEC-validated",
    )
    # dns-01's own TXT lookup too, with CAA off.
    expect_problem(
        validate(caa_task(name, dnssec_required=True, caa_checking=False)),
        ErrorKind.DNS,
        f"TXT _acme-challenge.{name} was not DNSSEC-validated",
    )


# --------------------------------------------------------------------------- flags (tiny DNS)


def _fake_task(fake_dns, name: str, caa: list[str]) -> ValidationTask:
    task = ValidationTask(
        challenge_id="chall-caa",
        type=DNS01,
        identifier=Identifier("dns", name),
        token="token",
        key_authorization="token.thumbprint",
        dns_resolver_ip="127.0.0.1",
        dns_resolver_port=None,
        caa_checking=True,
        caa_issuer_domains=(US,),
    )
    server = fake_dns(
        {
            (f"_acme-challenge.{name}", "TXT"): [f'"{expected_txt(task.key_authorization)}"'],
            (name, "CAA"): caa,
        }
    )
    return replace(task, dns_resolver_port=server.port)


def test_an_unknown_critical_property_refuses(fake_dns, expect_problem):
    task = _fake_task(fake_dns, "crit.example", [f'0 issue "{US}"', '128 tbs "unknown"'])
    expect_problem(
        validate(task),
        ErrorKind.CAA,
        'CAA record for crit.example prevents issuance: 128 tbs "unknown"',
        "unknown property marked critical",
    )


def test_an_unknown_property_without_the_flag_is_ignored(fake_dns):
    task = _fake_task(fake_dns, "noncrit.example", [f'0 issue "{US}"', '0 tbs "unknown"'])
    assert validate(task).ok


def test_tags_match_whatever_their_case(fake_dns, expect_problem):
    task = _fake_task(fake_dns, "case.example", ['0 ISSUE "other-ca.example"'])
    expect_problem(validate(task), ErrorKind.CAA, '0 ISSUE "other-ca.example"')
    task = _fake_task(fake_dns, "case2.example", [f'128 IssueWild "{US}"', f'0 Issue "{US}"'])
    assert validate(task).ok

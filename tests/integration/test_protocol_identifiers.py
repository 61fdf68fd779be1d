"""Which names may be ordered (issue 15 §3; RFC 8555 §7.1.3, §7.4, §6.7.1), as a client sees
it: each bad name class is refused at new-order with its problem type, a detail that says why,
the identifier named, and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import (
    ACME_ERROR,
    Clients,
    State,
    assert_problem,
    unique_name,
)
from tests.support.acme_client import AcmeClient


def base() -> str:
    """A registrable name of the test zone, nobody else's."""
    return unique_name("ids")


def order_ids(client: AcmeClient) -> list[str]:
    """The account's orders list (RFC 8555 §7.1.2.1)."""
    account = client.get(client.kid or "")
    assert account.status_code == 200, account.text
    orders = client.get(account.json()["orders"])
    assert orders.status_code == 200, orders.text
    return list(orders.json()["orders"])


def new_order(client: AcmeClient, identifiers: list[Any]) -> Any:
    return client.post(client.directory["newOrder"], {"identifiers": identifiers})


def dns(*values: Any) -> list[dict[str, Any]]:
    return [{"type": "dns", "value": v} for v in values]


@pytest.fixture
def account(clients: Clients) -> AcmeClient:
    return clients("acme")


BAD_NAMES = [
    # (value or a function of a fresh base name, what the detail says)
    (lambda b: f"\u212aitchen.{b}", "contains the non-ASCII character U+212A"),
    (lambda b: f"b\u00fccher.{b}", "contains the non-ASCII character U+00FC"),
    # A lone surrogate (JSON "\udc80"): refused, and the problem document still renders.
    (lambda b: f"\udc80x.{b}", "contains the non-ASCII character U+DC80"),
    (lambda b: f"xn--.{b}", "has an invalid IDNA label 'xn--'"),
    (lambda b: f"xn--zz.{b}", "has an invalid IDNA label 'xn--zz'"),
    (lambda b: f"ab--cd.{b}", "has a reserved label 'ab--cd'"),
    (lambda b: "co.uk", "'co.uk' is a public suffix"),
    (lambda b: "*.co.uk", "'*.co.uk' is a wildcard directly above the public suffix co.uk"),
    (lambda b: "*.com", "'*.com' is a wildcard directly above the public suffix com"),
    (lambda b: f"www.*.{b}", "a wildcard is allowed only as the whole leftmost label"),
    (lambda b: f"*{b}", "a wildcard is allowed only as the whole leftmost label"),
    (lambda b: "192.0.2.1", "is an IP address: use an identifier of type ip"),
    (lambda b: "2001:db8::1", "is an IP address: use an identifier of type ip"),
    (lambda b: f"{b}.", "must not end with a dot"),
    (lambda b: f"-bad.{b}", "has an invalid label '-bad'"),
    (lambda b: f"a..{b}", "has an invalid label ''"),
    (lambda b: f"{'x' * 64}.{b}", "longer than 63 characters"),
    (lambda b: "a." * 127 + b, "is longer than 253 characters"),
    (lambda b: "localhost", "needs at least two labels"),
    (lambda b: "a.b.c.d.e.f.g.h." + b, "it has 11 labels; at most 10 are allowed"),
]


@pytest.mark.parametrize(("make", "detail"), BAD_NAMES)
def test_each_bad_name_class_is_refused(
    account: AcmeClient, state: State, make: Any, detail: str
) -> None:
    name = make(base())
    before = (state.counts(), order_ids(account))
    response = account.new_order([name])
    doc = assert_problem(response, 400, "rejectedIdentifier", detail, account.directory_url)
    assert doc["identifier"] == {"type": "dns", "value": name}
    assert "subproblems" not in doc
    assert (state.counts(), order_ids(account)) == before


def test_an_empty_value_is_malformed(account: AcmeClient, state: State) -> None:
    before = (state.counts(), order_ids(account))
    response = new_order(account, dns(""))
    doc = assert_problem(response, 400, "malformed", "must not be empty", account.directory_url)
    assert doc["identifier"] == {"type": "dns", "value": ""}
    assert (state.counts(), order_ids(account)) == before


@pytest.mark.parametrize("value", [None, 7, ["a.example"], {"v": 1}])
def test_a_value_that_is_not_a_string_is_malformed(
    account: AcmeClient, state: State, value: Any
) -> None:
    before = state.counts()
    response = new_order(account, dns(value))
    assert_problem(response, 400, "malformed", "string type and value", account.directory_url)
    assert state.counts() == before


def test_a_name_covered_by_a_wildcard_of_the_order_is_redundant(
    account: AcmeClient, state: State
) -> None:
    b = base()
    before = (state.counts(), order_ids(account))
    response = account.new_order([f"*.{b}", f"www.{b}"])
    doc = assert_problem(
        response,
        400,
        "rejectedIdentifier",
        f"www.{b} is redundant with the wildcard *.{b} in the same order",
        account.directory_url,
    )
    assert doc["identifier"] == {"type": "dns", "value": f"www.{b}"}
    assert (state.counts(), order_ids(account)) == before
    # The wildcard with its base name, or with a deeper name, is fine.
    assert account.new_order([f"*.{b}", b, f"a.www.{b}"]).status_code == 201


def test_every_refused_identifier_is_a_subproblem_naming_it(
    account: AcmeClient, state: State
) -> None:
    b = base()
    before = (state.counts(), order_ids(account))
    response = account.new_order([b, "co.uk", f"ab--cd.{b}", f"\u212a.{b}"])
    doc = assert_problem(response, 400, "rejectedIdentifier", "co.uk", account.directory_url)
    subproblems = [(p["type"], p["identifier"]["value"], p["detail"]) for p in doc["subproblems"]]
    rejected = ACME_ERROR + "rejectedIdentifier"
    assert subproblems == [
        (rejected, "co.uk", "'co.uk' is a public suffix: a certificate must name a domain in it"),
        (rejected, f"ab--cd.{b}", subproblems[1][2]),
        (rejected, f"\u212a.{b}", subproblems[2][2]),
    ]
    assert "reserved label 'ab--cd'" in subproblems[1][2]
    assert "non-ASCII character U+212A" in subproblems[2][2]
    assert (state.counts(), order_ids(account)) == before


def test_an_empty_value_beside_a_refused_name_is_compound(account: AcmeClient) -> None:
    response = new_order(account, dns("", "*.com"))
    doc = assert_problem(response, 400, "compound", "must not be empty", account.directory_url)
    assert [(p["type"], p["identifier"]["value"]) for p in doc["subproblems"]] == [
        (ACME_ERROR + "malformed", ""),
        (ACME_ERROR + "rejectedIdentifier", "*.com"),
    ]


def test_names_are_lower_cased_by_ascii_rules(account: AcmeClient) -> None:
    b = base()
    response = account.new_order([f"WWW.{b.upper()}", f"xn--BCHER-KVA.{b}"])
    assert response.status_code == 201, response.text
    assert response.json()["identifiers"] == [
        {"type": "dns", "value": f"www.{b}"},
        {"type": "dns", "value": f"xn--bcher-kva.{b}"},
    ]


def test_more_than_100_names_are_refused(account: AcmeClient, state: State) -> None:
    """Boulder's cap; an RA profile's issuancePolicy.maxNames can only lower it (1-100)."""
    client = account
    names = [f"n{i}.{base()}" for i in range(101)]
    before = state.counts()
    response = client.new_order(names)
    assert_problem(response, 400, "rejectedIdentifier", "at most 100 identifiers")
    assert state.counts() == before

"""The route table's family paths and alternate-chain URLs (domain/urls.py, protocol/links.py):
the RA-profile family's revokeCert at order/revoke-cert (platform-reference.md), cert/{id}/{n}
for the n-th alternate chain (RFC 8555 §7.4.2), and the URLs the Linker builds for them."""

from __future__ import annotations

import pytest

from acmehub.domain.urls import Link, ProfileMode
from acmehub.protocol.links import Linker, RouteTable
from acmehub.services.context import ProfileRef

TABLE = RouteTable()
BASE = "https://ca.example"


@pytest.mark.parametrize(
    ("path", "link", "mode", "object_id"),
    [
        ("/acme/raProfile/ra1/order/revoke-cert", Link.REVOKE_CERT, ProfileMode.RA_PROFILE, ""),
        ("/acme/raProfile/ra1/revoke-cert", Link.REVOKE_CERT, ProfileMode.RA_PROFILE, ""),
        ("/acme/shop/revoke-cert", Link.REVOKE_CERT, ProfileMode.ACME_PROFILE, ""),
        # No family path for the ACME-profile family: an order id ("revoke-cert").
        ("/acme/shop/order/revoke-cert", Link.ORDER, ProfileMode.ACME_PROFILE, "revoke-cert"),
        ("/acme/shop/cert/abc", Link.CERT, ProfileMode.ACME_PROFILE, "abc"),
        ("/acme/shop/cert/abc/1", Link.CERT_ALTERNATE, ProfileMode.ACME_PROFILE, "abc/1"),
        (
            "/api/v1/protocols/acme/raProfile/ra1/cert/abc/12",
            Link.CERT_ALTERNATE,
            ProfileMode.RA_PROFILE,
            "abc/12",
        ),
    ],
)
def test_paths_reach_their_resource(
    path: str, link: Link, mode: ProfileMode, object_id: str
) -> None:
    found = TABLE.match(path)
    assert found is not None
    assert (found.route.link, found.route.mode, found.object_id) == (link, mode, object_id)


@pytest.mark.parametrize(
    "path", ["/acme/shop/cert/abc/0", "/acme/shop/cert/abc/01", "/acme/shop/cert/abc/x"]
)
def test_an_alternate_is_a_number_from_1(path: str) -> None:
    assert TABLE.match(path) is None


def test_the_linker_builds_the_family_paths() -> None:
    ra = Linker(BASE, ProfileRef(ProfileMode.RA_PROFILE, "ra1"))
    acme = Linker(BASE, ProfileRef(ProfileMode.ACME_PROFILE, "shop"))
    assert ra.url(Link.REVOKE_CERT) == f"{BASE}/acme/raProfile/ra1/order/revoke-cert"
    assert acme.url(Link.REVOKE_CERT) == f"{BASE}/acme/shop/revoke-cert"
    assert acme.url(Link.CERT_ALTERNATE, "abc/2") == f"{BASE}/acme/shop/cert/abc/2"

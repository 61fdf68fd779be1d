"""Certificate profiles over the management API: create (the first is the default), get, list,
change, delete, with the rules that need the database (a name unique per RA profile, validity
within the RA profile's validityMax, one default), roles and token scopes, the audit trail, and
what an ACME client then sees in the RA profile's directory."""

from __future__ import annotations

from typing import Any

import httpx

from acmehub.domain.admin_model import Role
from tests.api.conftest import ApiFactory
from tests.api.profile_helpers import (
    activate,
    audit_events,
    created,
    new_acme_profile,
    new_ra_profile,
    ok,
    problem,
    ra_url,
)
from tests.support.server import AcmehubServer

DAY = 86400


def _cps(ra: dict[str, Any]) -> str:
    return ra_url(ra, "/certificateProfiles")


def test_create_list_change_and_delete(api: httpx.Client, acmehub: AcmehubServer) -> None:
    ra = new_ra_profile(api)
    assert ok(api.get(_cps(ra)))["items"] == []
    first = created(api, _cps(ra), {"name": "tlsserver", "description": "90 days"})
    doc = ok(api.get(f"{_cps(ra)}/{first}"))
    assert doc == {
        "uuid": first,
        "raProfileUuid": ra["uuid"],
        "name": "tlsserver",
        "description": "90 days",
        "isDefault": True,  # the first one
        "validity": None,
        "effectiveValidity": ra["validityDefault"],
        "crlDistributionPoint": True,
        "extendedKeyUsages": [],
        "commonName": True,
        "maxNames": None,
    }
    second = created(
        api,
        _cps(ra),
        {"name": "shortlived", "validity": 7 * DAY, "crlDistributionPoint": False},
    )
    problem(api.post(_cps(ra), json={"name": "tlsserver"}), 409, "already offers")
    too_long = api.post(_cps(ra), json={"name": "long", "validity": 500 * DAY})
    problem(too_long, 422, "validity must not exceed the RA profile's validityMax")
    problem(api.post(_cps(ra), json={"name": "no spaces"}), 422)

    # PUT changes only what it carries; making one the default unmarks the former.
    changed = ok(api.put(f"{_cps(ra)}/{second}", json={"isDefault": True}))
    assert (changed["isDefault"], changed["validity"]) == (True, 7 * DAY)
    listed = {p["name"]: p["isDefault"] for p in ok(api.get(_cps(ra)))["items"]}
    assert listed == {"shortlived": True, "tlsserver": False}
    unmark = api.put(f"{_cps(ra)}/{second}", json={"isDefault": False})
    problem(unmark, 422, "make another profile the default instead")
    problem(api.delete(f"{_cps(ra)}/{second}"), 422, "make another profile the default first")
    # Lowering the RA profile's maximum below a profile's validity is refused.
    lowered = api.put(ra_url(ra), json={"validityMax": DAY, "validityDefault": DAY})
    problem(lowered, 422, "shortlived")

    assert api.delete(f"{_cps(ra)}/{first}").status_code == 204
    assert api.delete(f"{_cps(ra)}/{second}").status_code == 204  # the last may go
    problem(api.get(f"{_cps(ra)}/{second}"), 404, "Certificate profile not found")
    for action in ("create", "update", "delete"):
        assert audit_events(acmehub, f"certificateProfile.{action}", second), action


def test_the_directory_follows_the_api(api: httpx.Client, acmehub: AcmehubServer) -> None:
    ra = new_ra_profile(api)
    acme = new_acme_profile(api, ra)
    activate(api, ra, acme)
    urls = [acmehub.directory_url(acme["name"]), acmehub.directory_url(ra["name"], "raProfile")]
    with acmehub.client() as http:
        assert all("profiles" not in http.get(u).json()["meta"] for u in urls)
        created(api, _cps(ra), {"name": "b", "description": "Bee"})
        created(api, _cps(ra), {"name": "a", "description": "Ay"})
        for url in urls:
            assert http.get(url).json()["meta"]["profiles"] == {"b": "Bee", "a": "Ay"}


def test_roles_and_unknown_objects(api_as: ApiFactory, api: httpx.Client) -> None:
    ra = new_ra_profile(api)
    auditor, operator = api_as(Role.AUDITOR), api_as(Role.OPERATOR)
    assert auditor.get(_cps(ra)).status_code == 200
    for client in (auditor, operator):
        assert client.post(_cps(ra), json={"name": "x"}).status_code == 403
    unknown = f"/authorities/{ra['authority']['uuid']}/raProfiles/nope/certificateProfiles"
    problem(api.get(unknown), 404)
    problem(api.get(f"{_cps(ra)}/nope"), 404)

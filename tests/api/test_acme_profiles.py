"""ACME profiles over the management API (platform-reference.md, "ACME Profile fields"), and
what each setting does to the ACME protocol at once, over real HTTPS against the live server.

Every test makes profiles of its own through the API.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from acmehub.domain.admin_model import Role
from acmehub.domain.model import AccountStatus
from tests.api.conftest import ApiFactory
from tests.api.profile_helpers import (
    activate,
    audit_events,
    label,
    new_acme_profile,
    new_ra_profile,
    ok,
    problem,
    ra_url,
)
from tests.integration.conftest import (
    Clients,
    Flows,
    Http01Responder,
    State,
    assert_problem,
    challenge_of,
    last_segment,
    link_header,
    poll_resource,
    unique_name,
)
from tests.support.challtestsrv import ChallTestSrv
from tests.support.procs import free_port
from tests.support.server import AcmehubServer

TOS = "https://example.com/tos/v1"
TOS_V2 = "https://example.com/tos/v2"

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def http01(acmehub: AcmehubServer) -> Iterator[Http01Responder]:
    responder = Http01Responder(acmehub.http01_port).start()
    yield responder
    responder.stop()


@pytest.fixture
def flows(dns_server: ChallTestSrv, http01: Http01Responder) -> Flows:
    return Flows(dns_server, http01)


@pytest.fixture
def clients(acmehub: AcmehubServer) -> Iterator[Clients]:
    made = Clients(acmehub)
    yield made
    made.close()


@pytest.fixture
def state(acmehub: AcmehubServer) -> State:
    return State(acmehub)


@pytest.fixture
def operator(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.OPERATOR)


@pytest.fixture
def auditor(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.AUDITOR)


@pytest.fixture
def ra(api: httpx.Client) -> dict[str, Any]:
    """A fresh RA profile on the embedded Authority."""
    return new_ra_profile(api)


def profile_url(acme: dict[str, Any], action: str = "") -> str:
    return f"/acmeProfiles/{acme['uuid']}{action}"


def account_uuid(client: Any, state: State) -> str:
    return state.account(last_segment(client.kid or "")).uuid


# --------------------------------------------------------------------------- create and read


def test_a_new_profile_has_the_platform_defaults_and_starts_disabled(
    api: httpx.Client, acmehub: AcmehubServer
) -> None:
    name = label("fresh")
    response = api.post("/acmeProfiles", json={"name": name})
    assert response.status_code == 201, response.text
    uuid = response.json()["uuid"]
    assert response.json() == {"uuid": uuid}
    assert response.headers["Location"] == f"{acmehub.base_url}/api/v1/acmeProfiles/{uuid}"

    doc = ok(api.get(f"/acmeProfiles/{uuid}"))
    assert doc == {
        "uuid": uuid,
        "name": name,
        "description": "",
        "enabled": False,
        "termsOfServiceUrl": None,
        "websiteUrl": None,
        "caaIdentities": [],
        "dnsResolverIp": None,
        "dnsResolverPort": None,
        "validationNetwork": "internal",
        "caaChecking": True,
        "dnssecRequired": False,
        "offerDnsAccount01": False,
        "offerDnsPersist01": False,
        "renewalInfo": True,
        "renewalInfoRetryAfter": 21600,
        "retryInterval": 30,
        "validity": 36000,
        "newAuthzEnabled": False,
        "subdomainAuthAllowed": False,
        "authorizationReuse": 0,
        "termsOfServiceChangeDisable": False,
        "termsOfServiceChangeUrl": None,
        "termsOfServiceChangedAt": None,
        "requireContact": False,
        "requireTermsOfService": False,
        "requireExternalAccountBinding": False,
        "raProfile": None,
        "directoryUrl": f"{acmehub.base_url}/acme/{name}/directory",
        "activatedOn": [],
        "issueCertificateAttributes": {},
        "revokeCertificateAttributes": {},
        "customAttributes": {},
        "certificateAssociations": None,
    }
    assert uuid in [p["uuid"] for p in ok(api.get("/acmeProfiles"))["items"]]
    assert [e.detail["name"] for e in audit_events(acmehub, "acmeProfile.create", uuid)] == [name]
    # Disabled: its directory answers the platform's message.
    with acmehub.client() as http:
        assert_problem(
            http.get(doc["directoryUrl"]), 400, "malformed", "ACME Profile is not enabled"
        )


def test_every_field_is_stored_and_shown(api: httpx.Client, ra: dict[str, Any]) -> None:
    body = {
        "name": label("full"),
        "description": "all fields",
        "termsOfServiceUrl": TOS,
        "websiteUrl": "https://example.com/",
        "caaIdentities": ["ca.example.com"],
        "dnsResolverIp": "127.0.0.1",
        "dnsResolverPort": 5353,
        "caaChecking": False,
        "dnssecRequired": True,
        "offerDnsAccount01": True,
        "offerDnsPersist01": True,
        "retryInterval": 5,
        "validity": 7200,
        "termsOfServiceChangeDisable": True,
        "termsOfServiceChangeUrl": TOS_V2,
        "requireContact": True,
        "requireTermsOfService": True,
        "requireExternalAccountBinding": True,
        "raProfileUuid": ra["uuid"],
        "issueCertificateAttributes": {"team": "web"},
        "revokeCertificateAttributes": {"reasonRequired": True},
        "customAttributes": {"costCenter": "42"},
        "certificateAssociations": {
            "ownerUuid": "owner-1",
            "groupUuids": ["g-1", "g-2"],
            "customAttributes": {"env": "prod"},
        },
    }
    uuid = api.post("/acmeProfiles", json=body).json()["uuid"]
    doc = ok(api.get(f"/acmeProfiles/{uuid}"))
    for field, value in body.items():
        if field != "raProfileUuid":
            assert doc[field] == value, field
    assert doc["raProfile"] == {
        "uuid": ra["uuid"],
        "name": ra["name"],
        "enabled": True,
        "authorityUuid": ra["authority"]["uuid"],
    }
    assert doc["termsOfServiceChangedAt"] is not None  # created with the flag on


def test_names_are_unique(api: httpx.Client) -> None:
    name = label("twice")
    assert api.post("/acmeProfiles", json={"name": name}).status_code == 201
    problem(api.post("/acmeProfiles", json={"name": name}), 409, f"ACME Profile {name} already")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "raProfile"}, "name"),
        ({"name": "has space"}, "name"),
        ({"name": "a/b"}, "name"),
        ({"name": "caf\u00e9"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({}, "name"),
        ({"retryInterval": 0}, "retryInterval"),
        ({"validity": -1}, "validity"),
        ({"dnsResolverPort": 70000}, "dnsResolverPort"),
        ({"dnsResolverIp": "not-an-ip"}, "dnsResolverIp"),
        ({"termsOfServiceUrl": "ftp://example.com/tos"}, "termsOfServiceUrl"),
        ({"websiteUrl": "example.com"}, "websiteUrl"),
        ({"requireContact": "perhaps"}, "requireContact"),
        ({"validationNetwork": "dmz"}, "validationNetwork must be one of internal, public"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    if "name" not in body and field != "name":
        body = {"name": label("bad"), **body}
    problem(api.post("/acmeProfiles", json=body), 422, field)


def test_an_unknown_default_ra_profile_is_not_found(api: httpx.Client) -> None:
    body = {"name": label("ra404"), "raProfileUuid": "no-such-ra"}
    problem(api.post("/acmeProfiles", json=body), 404, "RA Profile not found")


def test_unknown_profiles_are_not_found(api: httpx.Client) -> None:
    for response in (
        api.get("/acmeProfiles/nope"),
        api.put("/acmeProfiles/nope", json={}),
        api.delete("/acmeProfiles/nope"),
        api.patch("/acmeProfiles/nope/enable"),
        api.patch("/acmeProfiles/nope/disable"),
    ):
        problem(response, 404, "ACME Profile not found")


# --------------------------------------------------------------------------- roles


def test_roles(
    api: httpx.Client,
    operator: httpx.Client,
    auditor: httpx.Client,
    anonymous: httpx.Client,
    ra: dict[str, Any],
) -> None:
    acme = new_acme_profile(api, ra, enabled=False)
    url = profile_url(acme)
    # Auditors read, nothing else.
    assert ok(auditor.get(url))["uuid"] == acme["uuid"]
    assert acme["uuid"] in [p["uuid"] for p in ok(auditor.get("/acmeProfiles"))["items"]]
    for response in (
        auditor.post("/acmeProfiles", json={"name": label("no")}),
        auditor.put(url, json={"description": "no"}),
        auditor.patch(f"{url}/enable"),
        auditor.patch("/acmeProfiles/enable", json=[acme["uuid"]]),
        auditor.delete(url),
        auditor.request("DELETE", "/acmeProfiles/delete/force", json=[acme["uuid"]]),
        auditor.patch(f"{url}/raprofile/{ra['uuid']}"),
    ):
        problem(response, 403, "needs the")
    # Operators enable and disable, and do not configure.
    assert operator.patch(f"{url}/enable").status_code == 204
    assert ok(operator.patch("/acmeProfiles/disable", json=[acme["uuid"]])) == []
    for response in (
        operator.post("/acmeProfiles", json={"name": label("no")}),
        operator.put(url, json={"description": "no"}),
        operator.delete(url),
        operator.request("DELETE", "/acmeProfiles/delete", json=[acme["uuid"]]),
        operator.patch(f"{url}/raprofile/{ra['uuid']}"),
    ):
        problem(response, 403, "needs the admin role")
    problem(anonymous.get(url), 401)
    problem(anonymous.get("/acmeProfiles"), 401)
    assert ok(api.get(url))["enabled"] is False


# --------------------------------------------------------------------------- update


def test_put_changes_only_the_fields_it_carries(
    api: httpx.Client, ra: dict[str, Any], acmehub: AcmehubServer
) -> None:
    acme = new_acme_profile(
        api, ra, termsOfServiceUrl=TOS, websiteUrl="https://example.com/", requireContact=True
    )
    changed = ok(api.put(profile_url(acme), json={"description": "new", "retryInterval": 9}))
    expected = {**acme, "description": "new", "retryInterval": 9}
    assert changed == expected
    assert ok(api.get(profile_url(acme))) == expected
    # null clears a nullable field; the others stay.
    cleared = ok(api.put(profile_url(acme), json={"websiteUrl": None}))
    assert cleared == {**expected, "websiteUrl": None}
    # A field that cannot be null refuses it; a name change is not taken.
    problem(api.put(profile_url(acme), json={"retryInterval": None}), 422, "retryInterval")
    same = ok(api.put(profile_url(acme), json={"name": "renamed"}))
    assert same["name"] == acme["name"]
    events = audit_events(acmehub, "acmeProfile.update", acme["uuid"])
    assert sorted(e.detail["changed"] for e in events) == [
        ["description", "retryInterval"],
        ["websiteUrl"],
    ]


def test_the_validation_network_policy_is_set_and_shown(
    api: httpx.Client, ra: dict[str, Any], acmehub: AcmehubServer
) -> None:
    acme = new_acme_profile(api, ra, validationNetwork="public")
    assert acme["validationNetwork"] == "public"
    changed = ok(api.put(profile_url(acme), json={"validationNetwork": "internal"}))
    assert changed["validationNetwork"] == "internal"
    schema = api.get("/openapi.json").json()["components"]["schemas"]
    assert schema["AcmeProfileRequest"]["properties"]["validationNetwork"]["enum"] == [
        "internal",
        "public",
    ]


def test_pre_authorization_and_reuse_are_set_shown_and_audited(
    api: httpx.Client, ra: dict[str, Any], acmehub: AcmehubServer
) -> None:
    acme = new_acme_profile(api, ra)
    directory = acme["directoryUrl"]
    # Subdomain authorizations are asked for through newAuthz: not without it.
    problem(
        api.put(profile_url(acme), json={"subdomainAuthAllowed": True}),
        422,
        "subdomainAuthAllowed needs newAuthzEnabled",
    )
    problem(api.put(profile_url(acme), json={"authorizationReuse": 399 * 86400}), 422, "")
    changed = ok(
        api.put(
            profile_url(acme),
            json={
                "newAuthzEnabled": True,
                "subdomainAuthAllowed": True,
                "authorizationReuse": 30 * 86400,
            },
        )
    )
    assert (
        changed["newAuthzEnabled"],
        changed["subdomainAuthAllowed"],
        changed["authorizationReuse"],
    ) == (True, True, 30 * 86400)
    with acmehub.client() as http:
        doc = http.get(directory).json()
    assert doc["newAuthz"] == directory.replace("/directory", "/new-authz")
    assert doc["meta"]["subdomainAuthAllowed"] is True
    events = audit_events(acmehub, "acmeProfile.update", acme["uuid"])
    assert [sorted(e.detail["changed"]) for e in events] == [
        ["authorizationReuse", "newAuthzEnabled", "subdomainAuthAllowed"]
    ]


def test_put_validates_like_post(api: httpx.Client, ra: dict[str, Any]) -> None:
    acme = new_acme_profile(api, ra)
    problem(api.put(profile_url(acme), json={"validity": 0}), 422, "validity")
    problem(api.put(profile_url(acme), json={"websiteUrl": "nope"}), 422, "websiteUrl")
    problem(api.put(profile_url(acme), json={"raProfileUuid": "nope"}), 404, "RA Profile")
    assert ok(api.get(profile_url(acme))) == acme


# --------------------------------------------------------------------------- enable / disable


def test_enable_and_disable_refuse_repeating_themselves(
    api: httpx.Client, operator: httpx.Client, acmehub: AcmehubServer
) -> None:
    acme = new_acme_profile(api, enabled=False)
    problem(operator.patch(profile_url(acme, "/disable")), 422, "is already disabled")
    assert operator.patch(profile_url(acme, "/enable")).status_code == 204
    problem(operator.patch(profile_url(acme, "/enable")), 422, "is already enabled")
    assert ok(api.get(profile_url(acme)))["enabled"] is True
    assert operator.patch(profile_url(acme, "/disable")).status_code == 204
    assert ok(api.get(profile_url(acme)))["enabled"] is False
    assert len(audit_events(acmehub, "acmeProfile.enable", acme["uuid"])) == 1
    assert len(audit_events(acmehub, "acmeProfile.disable", acme["uuid"])) == 1


def test_bulk_enable_and_disable_report_what_they_could_not_do(
    api: httpx.Client, operator: httpx.Client
) -> None:
    off = new_acme_profile(api, enabled=False)
    on = new_acme_profile(api, enabled=True)
    failures = ok(operator.patch("/acmeProfiles/enable", json=[off["uuid"], on["uuid"], "nope"]))
    assert failures == [
        {
            "uuid": on["uuid"],
            "name": on["name"],
            "message": f"ACME Profile {on['name']} is already enabled",
        },
        {"uuid": "nope", "name": "", "message": "ACME Profile not found"},
    ]
    assert ok(api.get(profile_url(off)))["enabled"] is True
    assert ok(operator.patch("/acmeProfiles/disable", json=[off["uuid"], on["uuid"]])) == []
    assert not any(ok(api.get(profile_url(p)))["enabled"] for p in (off, on))
    problem(operator.patch("/acmeProfiles/enable", json={"uuids": []}), 422)


@pytest.mark.parametrize("family", ["acme", "raProfile"])
def test_a_profile_disabled_mid_flow_refuses_the_next_request(
    api: httpx.Client,
    operator: httpx.Client,
    clients: Clients,
    ra: dict[str, Any],
    family: str,
) -> None:
    acme = new_acme_profile(api, ra)
    activate(api, ra, acme)
    client = clients(family, acme["name"] if family == "acme" else ra["name"])
    response = client.new_order([unique_name()])
    assert response.status_code == 201, response.text
    order_url = response.headers["Location"]

    assert operator.patch(profile_url(acme, "/disable")).status_code == 204
    for refused in (client.get(order_url), client.new_order([unique_name()])):
        assert_problem(refused, 400, "malformed", "ACME Profile is not enabled")

    assert operator.patch(profile_url(acme, "/enable")).status_code == 204
    assert client.get(order_url).status_code == 200


# --------------------------------------------------------------------------- settings at work


def test_directory_meta_follows_the_profile(
    api: httpx.Client, acmehub: AcmehubServer, ra: dict[str, Any]
) -> None:
    acme = new_acme_profile(api, ra)
    with acmehub.client() as http:
        meta = http.get(acme["directoryUrl"]).json()["meta"]
        assert meta == {"externalAccountRequired": False}
        body = {
            "termsOfServiceUrl": TOS,
            "websiteUrl": "https://example.com/about",
            "caaIdentities": ["ca.example.com"],
            "requireExternalAccountBinding": True,
        }
        ok(api.put(profile_url(acme), json=body))
        meta = http.get(acme["directoryUrl"]).json()["meta"]
    assert meta == {
        "termsOfService": TOS,
        "website": "https://example.com/about",
        "caaIdentities": ["ca.example.com"],
        "externalAccountRequired": True,
    }


def test_the_newer_dns_challenges_are_switched_on_through_the_api(
    api: httpx.Client, acmehub: AcmehubServer, ra: dict[str, Any]
) -> None:
    """dns-account-01 and dns-persist-01 (docs/dns-challenges.md): off by default; on, the
    directory lists dns-persist-01's issuer domain names (its caaIdentities); audited."""
    acme = new_acme_profile(api, ra, caaIdentities=["ca.example.com"])
    with acmehub.client() as http:
        assert "issuerDomainNames" not in http.get(acme["directoryUrl"]).json()["meta"]
        body = {"offerDnsAccount01": True, "offerDnsPersist01": True}
        doc = ok(api.put(profile_url(acme), json=body))
        assert (doc["offerDnsAccount01"], doc["offerDnsPersist01"]) == (True, True)
        meta = http.get(acme["directoryUrl"]).json()["meta"]
    assert meta["issuerDomainNames"] == ["ca.example.com"]
    changes = [e.detail for e in audit_events(acmehub, "acmeProfile.update", acme["uuid"])]
    assert any("offerDnsPersist01" in str(c) for c in changes), changes


def test_required_contact_and_agreement(
    api: httpx.Client, clients: Clients, ra: dict[str, Any]
) -> None:
    acme = new_acme_profile(
        api, ra, requireContact=True, requireTermsOfService=True, termsOfServiceUrl=TOS
    )
    client = clients("acme", acme["name"], register=False)
    assert_problem(client.register(), 400, "invalidContact")
    refused = client.register(contact=["mailto:ops@example.com"], termsOfServiceAgreed=False)
    assert_problem(refused, 403, "userActionRequired", "terms of service")
    assert client.register(contact=["mailto:ops@example.com"]).status_code == 201


def test_order_validity_is_the_order_and_authorization_lifetime(
    api: httpx.Client, clients: Clients, ra: dict[str, Any]
) -> None:
    acme = new_acme_profile(api, ra, validity=600)
    client = clients("acme", acme["name"])
    order = client.new_order([unique_name()]).json()
    expires = datetime.fromisoformat(order["expires"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(seconds=600))) < timedelta(seconds=60)
    authz = client.get(order["authorizations"][0]).json()
    assert authz["expires"] == order["expires"]


def test_retry_after_while_validating_is_at_most_the_retry_interval(
    api: httpx.Client, clients: Clients, http01: Http01Responder, ra: dict[str, Any]
) -> None:
    acme = new_acme_profile(api, ra, retryInterval=7)
    client = clients("acme", acme["name"])
    order = client.new_order([unique_name()]).json()
    authz_url = order["authorizations"][0]
    challenge = challenge_of(client.get(authz_url).json(), "http-01")
    token = challenge["token"]
    http01.answers[token] = client.key_authorization(token)
    http01.hold[token] = threading.Event()
    try:
        assert client.post(challenge["url"], {}).status_code == 200
        response = client.get(challenge["url"])
        assert response.json()["status"] == "processing", response.text
        # When the result is expected (this server validates in milliseconds), at most 7.
        assert 1 <= int(response.headers["Retry-After"]) <= 7
        polled = client.get(authz_url)
        assert polled.json()["status"] == "pending"
        assert 1 <= int(polled.headers["Retry-After"]) <= 7
    finally:
        http01.hold[token].set()
    poll_resource(client, authz_url, lambda d: d["status"] == "valid", "authz valid")


def test_the_dns_resolver_of_the_profile_is_the_one_asked(
    api: httpx.Client, clients: Clients, dns_server: ChallTestSrv, ra: dict[str, Any]
) -> None:
    """A resolver that does not answer makes dns-01 fail, although the test DNS holds the TXT."""
    acme = new_acme_profile(api, ra, dnsResolverIp="127.0.0.1", dnsResolverPort=free_port())
    client = clients("acme", acme["name"])
    name = unique_name()
    order = client.new_order([name]).json()
    authz_url = order["authorizations"][0]
    challenge = challenge_of(client.get(authz_url).json(), "dns-01")
    dns_server.set_txt(f"_acme-challenge.{name}", client.dns01_value(challenge["token"]))
    assert client.post(challenge["url"], {}).status_code == 200
    authz = poll_resource(client, authz_url, lambda d: d["status"] != "pending", "authz done")
    assert authz["status"] == "invalid"


def test_terms_of_service_change_blocks_orders_until_the_account_agrees_again(
    api: httpx.Client, clients: Clients, ra: dict[str, Any], acmehub: AcmehubServer
) -> None:
    acme = new_acme_profile(api, ra, termsOfServiceUrl=TOS)
    client = clients("acme", acme["name"])
    assert client.new_order([unique_name()]).status_code == 201

    body = {"termsOfServiceChangeDisable": True, "termsOfServiceChangeUrl": TOS_V2}
    changed = ok(api.put(profile_url(acme), json=body))
    assert changed["termsOfServiceChangedAt"] is not None

    refused = client.new_order([unique_name()])
    doc = assert_problem(refused, 403, "userActionRequired", "Terms of service have changed")
    assert doc["instance"] == TOS_V2
    assert link_header(refused, "terms-of-service") == [TOS_V2]

    # RFC 8555 §7.3.3: the client agrees again by updating its account.
    agreed = client.post(client.kid or "", {"termsOfServiceAgreed": True})
    assert agreed.status_code == 200, agreed.text
    assert client.new_order([unique_name()]).status_code == 201
    # Accounts created after the change agree at registration.
    newcomer = clients("acme", acme["name"])
    assert newcomer.new_order([unique_name()]).status_code == 201


# --------------------------------------------------------------------------- default RA profile


def test_changing_the_default_ra_profile_moves_the_accounts_bound_through_it(
    api: httpx.Client, clients: Clients, state: State, acmehub: AcmehubServer
) -> None:
    first, second = new_ra_profile(api), new_ra_profile(api)
    acme = new_acme_profile(api, first)
    activate(api, first, acme)
    via_default = clients("acme", acme["name"])
    via_ra = clients("raProfile", first["name"])  # bound to the RA profile itself
    moved, kept = account_uuid(via_default, state), account_uuid(via_ra, state)

    doc = ok(api.patch(profile_url(acme, f"/raprofile/{second['uuid']}")))
    assert doc["raProfile"]["uuid"] == second["uuid"]
    assert ok(api.get(profile_url(acme)))["raProfile"]["uuid"] == second["uuid"]

    # The account keeps working through the ACME-profile URL, now under the new RA profile.
    response = via_default.new_order([unique_name()])
    assert response.status_code == 201, response.text
    assert (
        state.order(last_segment(response.headers["Location"])).ra_profile_uuid == (second["uuid"])
    )
    assert via_ra.new_order([unique_name()]).status_code == 201
    listed = ok(api.get("/acmeAccounts", params={"acmeProfileUuid": acme["uuid"]}))["items"]
    bound = {a["uuid"]: a["raProfile"]["uuid"] for a in listed}
    assert bound == {moved: second["uuid"], kept: first["uuid"]}
    [event] = audit_events(acmehub, "acmeProfile.setDefaultRaProfile", acme["uuid"])
    assert event.detail["accountsMoved"] == 1
    assert event.detail["previous"] == first["uuid"]


def test_setting_an_unknown_default_ra_profile_is_not_found(
    api: httpx.Client, ra: dict[str, Any]
) -> None:
    acme = new_acme_profile(api, ra)
    problem(api.patch(profile_url(acme, "/raprofile/nope")), 404, "RA Profile not found")
    problem(api.patch(f"/acmeProfiles/nope/raprofile/{ra['uuid']}"), 404, "ACME Profile")


def test_a_default_ra_profile_set_through_put_moves_accounts_too(
    api: httpx.Client, clients: Clients, state: State
) -> None:
    first, second = new_ra_profile(api), new_ra_profile(api)
    acme = new_acme_profile(api, first)
    client = clients("acme", acme["name"])
    ok(api.put(profile_url(acme), json={"raProfileUuid": second["uuid"]}))
    assert state.account(last_segment(client.kid or "")).ra_profile_uuid == second["uuid"]


# --------------------------------------------------------------------------- delete


def test_delete_is_refused_while_ra_profiles_or_accounts_depend_on_it(
    api: httpx.Client, clients: Clients, ra: dict[str, Any], acmehub: AcmehubServer
) -> None:
    acme = new_acme_profile(api, ra)
    activate(api, ra, acme)
    problem(api.delete(profile_url(acme)), 422, f"is activated on RA Profile(s) {ra['name']}")
    assert api.patch(ra_url(ra, "/protocols/acme/deactivate")).status_code == 204
    clients("acme", acme["name"])
    problem(api.delete(profile_url(acme)), 422, "has 1 ACME account(s)")
    assert ok(api.get(profile_url(acme)))["uuid"] == acme["uuid"]

    unused = new_acme_profile(api, ra)
    assert api.delete(profile_url(unused)).status_code == 204
    problem(api.get(profile_url(unused)), 404)
    [event] = audit_events(acmehub, "acmeProfile.delete", unused["uuid"])
    assert event.detail["name"] == unused["name"]


def test_deleting_a_profile_deletes_its_eab_keys(api: httpx.Client) -> None:
    acme = new_acme_profile(api, enabled=False)
    response = api.post(profile_url(acme, "/eabKeys"), json={})
    assert response.status_code == 201, response.text
    assert api.delete(profile_url(acme)).status_code == 204


def test_bulk_delete_deletes_the_free_ones_and_reports_the_others(
    api: httpx.Client, clients: Clients, ra: dict[str, Any]
) -> None:
    free = new_acme_profile(api, ra)
    used = new_acme_profile(api, ra)
    clients("acme", used["name"])
    failures = ok(
        api.request("DELETE", "/acmeProfiles/delete", json=[free["uuid"], used["uuid"], "nope"])
    )
    assert failures == [
        {
            "uuid": used["uuid"],
            "name": used["name"],
            "message": f"ACME Profile {used['name']} has 1 ACME account(s); "
            "force delete deactivates them",
        },
        {"uuid": "nope", "name": "", "message": "ACME Profile not found"},
    ]
    problem(api.get(profile_url(free)), 404)
    assert ok(api.get(profile_url(used)))["name"] == used["name"]


def test_force_delete_deactivates_accounts_and_acme_on_ra_profiles(
    api: httpx.Client,
    clients: Clients,
    state: State,
    acmehub: AcmehubServer,
    ra: dict[str, Any],
) -> None:
    acme = new_acme_profile(api, ra)
    activate(api, ra, acme)
    via_profile = clients("acme", acme["name"])
    via_ra = clients("raProfile", ra["name"])
    order = via_profile.new_order([unique_name()])
    assert order.status_code == 201
    ids = [last_segment(c.kid or "") for c in (via_profile, via_ra)]

    assert ok(api.request("DELETE", "/acmeProfiles/delete/force", json=[acme["uuid"]])) == []

    # Accounts are deactivated, not deleted; their orders stay.
    assert [state.account(i).status for i in ids] == [AccountStatus.DEACTIVATED] * 2
    assert state.order(last_segment(order.headers["Location"])).account_id == ids[0]
    deactivations = [
        audit_events(acmehub, "acmeAccount.deactivate", state.account(i).uuid) for i in ids
    ]
    assert [len(events) for events in deactivations] == [1, 1]
    assert "force-deleted" in deactivations[0][0].detail["reason"]
    # ACME is deactivated on the RA profile, which stays.
    assert ok(api.get(ra_url(ra, "/protocols/acme")))["acmeAvailable"] is False
    assert ok(api.get(ra_url(ra)))["acmeProfile"] is None
    # Account rows refer to the profile: it is kept, retired under another name, disabled.
    retired = ok(api.get(profile_url(acme)))
    assert retired["name"] == f"{acme['name']}~deleted~{acme['uuid'][:8]}"
    assert (retired["enabled"], retired["raProfile"]) == (False, None)
    problem(api.patch(profile_url(acme, "/enable")), 422, "was force-deleted")
    [event] = audit_events(acmehub, "acmeProfile.forceDelete", acme["uuid"])
    assert event.detail["accountsDeactivated"] == 2
    # The ACME side: the old URL names no profile; the RA family has no ACME profile now.
    assert_problem(
        via_profile.new_order([unique_name()]),
        400,
        "malformed",
        "Given ACME Profile in the request URL is not found",
    )
    assert_problem(
        via_ra.new_order([unique_name()]),
        400,
        "malformed",
        "ACME Profile is not associated with the RA Profile",
    )
    # The name is free again.
    again = new_acme_profile(api, ra, name=acme["name"])
    assert again["uuid"] != acme["uuid"]


def test_force_delete_of_a_profile_without_accounts_deletes_it(
    api: httpx.Client, ra: dict[str, Any], acmehub: AcmehubServer
) -> None:
    acme = new_acme_profile(api, ra)
    activate(api, ra, acme)
    failures = ok(api.request("DELETE", "/acmeProfiles/delete/force", json=[acme["uuid"], "x"]))
    assert failures == [{"uuid": "x", "name": "", "message": "ACME Profile not found"}]
    problem(api.get(profile_url(acme)), 404)
    assert ok(api.get(ra_url(ra, "/protocols/acme")))["acmeAvailable"] is False
    assert len(audit_events(acmehub, "acmeProfile.forceDelete", acme["uuid"])) == 1

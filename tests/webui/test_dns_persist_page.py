"""The account page shows the dns-persist-01 record to publish (draft-ietf-acme-dns-persist
§4.5): copied from the page into DNS (pebble-challtestsrv), it validates the account's orders."""

from __future__ import annotations

import html
import re

from acmehub.services.admin import CLI_ACTOR
from tests.integration.conftest import challenge_of, poll_resource
from tests.support.acme_client import AcmeClient
from tests.support.challtestsrv import ChallTestSrv
from tests.support.server import AcmehubServer
from tests.webui.conftest import WebClient
from tests.webui.seed import unique

ISSUER = "persist.acmehub.example"


def _profile(acmehub: AcmehubServer, offer: bool) -> str:
    services = acmehub.container().services
    authority = services.authorities.list_all(CLI_ACTOR)[0].authority
    ra = services.platform.create_ra_profile(authority.uuid, unique("ra"))
    profile = services.platform.create_acme_profile(
        unique("acme"),
        enabled=True,
        default_ra_profile_uuid=ra.uuid,
        caa_identities=(ISSUER,),
        offer_dns_persist_01=offer,
        retry_interval=1,
    )
    return str(profile.name)


def _account_page(acmehub: AcmehubServer, admin: WebClient, client: AcmeClient) -> str:
    with acmehub.container().services.deps.uow() as tx:
        account = tx.accounts.get((client.kid or "").rsplit("/", 1)[-1])
    assert account is not None
    page = admin.get(f"/ui/accounts/{account.acme_profile_uuid}/{account.uuid}")
    assert page.status_code == 200
    return page.text


def test_the_record_on_the_account_page_validates(
    admin: WebClient, acmehub: AcmehubServer, dns_server: ChallTestSrv
) -> None:
    name = f"{unique('persist')}.example.com"
    with acmehub.client() as http:
        client = AcmeClient(http, acmehub.directory_url(_profile(acmehub, True)))
        assert client.register().status_code == 201
        page = _account_page(acmehub, admin, client)
        found = re.search(r'<pre class="record" data-testid="persist-record">([^<]*)</pre>', page)
        assert found is not None, page
        record = html.unescape(found.group(1))
        assert record == f"{ISSUER}; accounturi={client.kid}"
        assert "_validation-persist.&lt;your domain&gt;" in page
        dns_server.set_txt(f"_validation-persist.{name}", record)
        authz_url = client.new_order([name]).json()["authorizations"][0]
        challenge = challenge_of(client.get(authz_url).json(), "dns-persist-01")
        assert client.post(challenge["url"], {}).status_code == 200
        authz = poll_resource(client, authz_url, lambda d: d["status"] != "pending", "decided")
        assert authz["status"] == "valid", authz


def test_no_record_where_the_profile_does_not_offer_it(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    with acmehub.client() as http:
        client = AcmeClient(http, acmehub.directory_url(_profile(acmehub, False)))
        assert client.register().status_code == 201
        assert "dns-persist-01 record" not in _account_page(acmehub, admin, client)


def test_the_profile_form_switches_the_newer_dns_challenges(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    page = admin.get("/ui/acme-profiles/new").text
    assert "Offer dns-account-01" in page
    assert "Offer dns-persist-01" in page
    form = {
        "name": unique("form"),
        "retryInterval": "30",
        "validity": "36000",
        "caaIdentities": ISSUER,
        "offerDnsPersist01": "on",
    }
    response = admin.form("/ui/acme-profiles/new", form)
    assert response.status_code == 303, response.text
    uuid = response.headers["location"].rsplit("/", 1)[1]
    profile = acmehub.container().services.acme_profiles.get(CLI_ACTOR, uuid).profile
    assert profile.offer_dns_persist_01
    assert not profile.offer_dns_account_01

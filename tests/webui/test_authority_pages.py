"""The RA Profiles & Authorities section over real HTTP: Authorities (generate, list, detail
with the chain download and CRL link, enable/disable, delete) and RA profiles (create and edit
with the issuance policy, field errors, ACME activation, delete); auditors only look."""

from __future__ import annotations

import html
import re
import secrets

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer
from tests.webui.conftest import ClientFactory, WebClient


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', page)
    assert found, f"no error shown next to {field}"
    return html.unescape(found.group(1))


def new_authority(admin: WebClient, name: str) -> str:
    admin.get("/ui/authorities/new")
    response = admin.form(
        "/ui/authorities/new", {"mode": "generate", "name": name, "keyType": "ec-p256"}
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


RA_FORM = {
    "validityDefault": "86400",
    "validityMax": "864000",
    "issuancePolicy.allowedIdentifiers": ".example.com\nexample.org",
    "issuancePolicy.deniedIdentifiers": "bad.example.com",
    "issuancePolicy.maxNames": "10",
    "issuancePolicy.minRsaBits": "2048",
    "keyTypes": ["ec-p256", "rsa"],
    "ekus": ["serverAuth"],
    "enabled": "on",
}


def new_ra(admin: WebClient, authority: str, name: str, **values: object) -> str:
    admin.get(f"/ui/authorities/{authority}/ra-profiles/new")
    response = admin.form(
        f"/ui/authorities/{authority}/ra-profiles/new", {"name": name, **RA_FORM, **values}
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def test_an_admin_creates_an_authority_and_an_ra_profile_on_it(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    name = unique("ca")
    uuid = new_authority(admin, name)
    detail = admin.get(f"/ui/authorities/{uuid}")
    assert detail.status_code == 200
    assert f"Authority {name} created." in detail.text
    assert "-----BEGIN CERTIFICATE-----" in detail.text
    assert f"{acmehub.base_url}/crl/{uuid}.crl" in detail.text
    chain = admin.get(f"/ui/authorities/{uuid}/chain.pem")
    assert chain.status_code == 200
    assert chain.headers["content-type"].startswith("application/pem-certificate-chain")
    assert chain.text.count("-----BEGIN CERTIFICATE-----") >= 1

    # RFC 8555 §7.4.2: cross-signing gives the Authority an alternate chain.
    assert "None: certificates come with the chain above only." in detail.text
    crossed = admin.form(f"/ui/authorities/{uuid}/cross-sign")
    assert crossed.status_code == 303, crossed.text
    page = admin.get(f"/ui/authorities/{uuid}").text
    assert "offer 1 alternate chain(s)" in page
    assert 'id="alternate-chain-1"' in page
    view = acmehub.container().services.authorities.get(CLI_ACTOR, uuid)
    assert len(view.alternate_chains) == 1

    ra_name = unique("ra")
    ra_uuid = new_ra(admin, uuid, ra_name, **{"issuancePolicy.allowWildcards": "on"})
    stored = acmehub.container().services.ra_profiles.get(CLI_ACTOR, ra_uuid).profile
    assert stored.authority_uuid == uuid
    assert stored.validity_default == 86400
    assert stored.policy.denied_identifiers == ("bad.example.com",)
    assert set(stored.policy.allowed_key_types) == {"ec-p256", "rsa"}
    assert stored.policy.allow_wildcards
    page = admin.get(f"/ui/ra-profiles/{ra_uuid}").text
    assert "RA profile " + ra_name in page
    assert "bad.example.com" in page
    # Other suites add RA profiles to this shared server: search, so it is on the first page.
    index = admin.get("/ui/ra-profiles", params={"q": ra_name}).text
    assert ra_name in index
    assert name in index

    # Edit: the name is kept, the policy changes.
    assert "readonly" in admin.get(f"/ui/ra-profiles/{ra_uuid}/edit").text
    edited = admin.form(
        f"/ui/ra-profiles/{ra_uuid}/edit",
        {
            **RA_FORM,
            "name": "renamed",
            "issuancePolicy.maxNames": "3",
            "issuancePolicy.maxLabels": "5",
            "issuancePolicy.allowedIpNetworks": "10.0.0.0/8\n2001:DB8::/32",
            "ekus": ["clientAuth"],
        },
    )
    assert edited.status_code == 303, edited.text
    stored = acmehub.container().services.ra_profiles.get(CLI_ACTOR, ra_uuid).profile
    assert stored.name == ra_name
    assert (stored.policy.max_names, stored.policy.max_labels) == (3, 5)
    page = admin.get(f"/ui/ra-profiles/{ra_uuid}").text
    assert "Most labels per name</dt><dd>5</dd>" in page
    assert "IP address identifiers</dt><dd>10.0.0.0/8, 2001:db8::/32</dd>" in page
    assert stored.policy.allowed_ip_networks == ("10.0.0.0/8", "2001:db8::/32")
    assert stored.policy.extended_key_usages == ("clientAuth",)
    assert not stored.policy.allow_wildcards

    # Disable and enable.
    admin.get(f"/ui/ra-profiles/{ra_uuid}")
    assert admin.form(f"/ui/ra-profiles/{ra_uuid}/disable").status_code == 303
    assert not acmehub.container().services.ra_profiles.get(CLI_ACTOR, ra_uuid).profile.enabled

    # The Authority cannot be deleted while the RA profile uses it.
    confirm = admin.get(f"/ui/authorities/{uuid}/delete")
    assert ra_name in confirm.text
    refused = admin.form(f"/ui/authorities/{uuid}/delete")
    assert refused.status_code == 303
    assert "is used by 1 RA Profile" in html.unescape(admin.get(refused.headers["location"]).text)

    # Delete the RA profile, then the Authority, after confirming.
    assert "This cannot be undone" in admin.get(f"/ui/ra-profiles/{ra_uuid}/delete").text
    assert admin.form(f"/ui/ra-profiles/{ra_uuid}/delete").status_code == 303
    admin.get(f"/ui/authorities/{uuid}")
    assert admin.form(f"/ui/authorities/{uuid}/disable").status_code == 303
    assert admin.form(f"/ui/authorities/{uuid}/delete").status_code == 303
    names = {v.authority.name for v in acmehub.container().services.authorities.list_all(CLI_ACTOR)}
    assert name not in names


def test_authority_refusals_are_shown_next_to_their_field(admin: WebClient) -> None:
    admin.get("/ui/authorities/new")
    duplicate = unique("dup")
    new_authority(admin, duplicate)
    admin.get("/ui/authorities/new")
    response = admin.form(
        "/ui/authorities/new", {"mode": "generate", "name": duplicate, "keyType": "ec-p256"}
    )
    assert response.status_code == 409
    assert "already exists" in field_error(response.text, "name")

    admin.get("/ui/authorities/new?mode=import")
    response = admin.form(
        "/ui/authorities/new",
        {"mode": "import", "name": unique("imp"), "certPem": "", "keyPem": "", "passphrase": "x"},
    )
    assert response.status_code == 422
    assert field_error(response.text, "certPem").startswith("certPem is required")
    assert 'value="x"' not in response.text  # the passphrase is never sent back


def test_ra_profile_refusals_are_shown_next_to_their_field(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    uuid = new_authority(admin, unique("ca"))
    cases = [
        ({"validityDefault": "soon"}, "validityDefault", "validityDefault must be a whole number"),
        ({"validityDefault": "9000000"}, "validityDefault", "validityDefault must not exceed"),
        ({"issuancePolicy.maxNames": "0"}, "issuancePolicy.maxNames", "issuancePolicy.maxNames"),
        (
            {"issuancePolicy.maxLabels": "1"},
            "issuancePolicy.maxLabels",
            "issuancePolicy.maxLabels",
        ),
        ({"keyTypes": []}, "issuancePolicy.allowedKeyTypes", "issuancePolicy.allowedKeyTypes"),
        (
            {"issuancePolicy.allowedIdentifiers": "exa mple..com"},
            "issuancePolicy.allowedIdentifiers",
            "issuancePolicy.allowedIdentifiers",
        ),
    ]
    for values, field, message in cases:
        admin.get(f"/ui/authorities/{uuid}/ra-profiles/new")
        name = unique("bad")
        response = admin.form(
            f"/ui/authorities/{uuid}/ra-profiles/new", {"name": name, **RA_FORM, **values}
        )
        assert response.status_code == 422, (values, response.text)
        assert field_error(response.text, field).startswith(message), values
        assert f'value="{name}"' in response.text
    admin.get(f"/ui/authorities/{uuid}/ra-profiles/new")
    response = admin.form(
        f"/ui/authorities/{uuid}/ra-profiles/new", {"name": "bad name!", **RA_FORM}
    )
    assert response.status_code == 422
    assert field_error(response.text, "name").startswith("name:")
    assert acmehub.container().services.ra_profiles.list_all(CLI_ACTOR, uuid) == []


def test_acme_activation_on_an_ra_profile(admin: WebClient, acmehub: AcmehubServer) -> None:
    services = acmehub.container().services
    authority = new_authority(admin, unique("ca"))
    ra_uuid = new_ra(admin, authority, unique("ra"))
    acme = services.platform.create_acme_profile(unique("acme"))

    admin.get(f"/ui/ra-profiles/{ra_uuid}")
    bad = admin.form(
        f"/ui/ra-profiles/{ra_uuid}/acme/activate",
        {"acmeProfileUuid": acme.uuid, "issueCertificateAttributes": "[1]"},
    )
    assert bad.status_code == 422
    assert "must be a JSON object" in field_error(bad.text, "issueCertificateAttributes")
    none = admin.form(f"/ui/ra-profiles/{ra_uuid}/acme/activate", {"acmeProfileUuid": ""})
    assert none.status_code == 422
    assert field_error(none.text, "acmeProfileUuid")

    done = admin.form(
        f"/ui/ra-profiles/{ra_uuid}/acme/activate",
        {"acmeProfileUuid": acme.uuid, "issueCertificateAttributes": '{"team": "web"}'},
    )
    assert done.status_code == 303, done.text
    stored = services.ra_profiles.get(CLI_ACTOR, ra_uuid).profile
    assert stored.acme_profile_uuid == acme.uuid
    assert stored.acme_issue_attributes == {"team": "web"}
    page = admin.get(f"/ui/ra-profiles/{ra_uuid}").text
    assert "Deactivate ACME" in page
    assert acme.name in page

    assert admin.form(f"/ui/ra-profiles/{ra_uuid}/acme/deactivate").status_code == 303
    assert services.ra_profiles.get(CLI_ACTOR, ra_uuid).profile.acme_profile_uuid is None


def test_an_auditor_sees_every_page_and_changes_nothing(
    admin: WebClient, web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    services = acmehub.container().services
    authority = new_authority(admin, unique("ca"))
    ra_uuid = new_ra(admin, authority, unique("ra"))
    auditor = web_as(Role.AUDITOR)
    for path in (
        "/ui/ra-profiles",
        "/ui/authorities/new",
        f"/ui/authorities/{authority}",
        f"/ui/authorities/{authority}/delete",
        f"/ui/authorities/{authority}/ra-profiles/new",
        f"/ui/ra-profiles/{ra_uuid}",
        f"/ui/ra-profiles/{ra_uuid}/edit",
        f"/ui/ra-profiles/{ra_uuid}/delete",
    ):
        response = auditor.get(path)
        assert response.status_code == 200, path
        assert "<h1>" in response.text
    assert auditor.get(f"/ui/authorities/{authority}/chain.pem").status_code == 200
    auditor.get(f"/ui/ra-profiles/{ra_uuid}")
    for path, data in (
        ("/ui/authorities/new", {"mode": "generate", "name": unique("no")}),
        (f"/ui/authorities/{authority}/disable", {}),
        (f"/ui/authorities/{authority}/delete", {}),
        (f"/ui/authorities/{authority}/ra-profiles/new", {"name": unique("no"), **RA_FORM}),
        (f"/ui/ra-profiles/{ra_uuid}/edit", {**RA_FORM, "issuancePolicy.maxNames": "2"}),
        (f"/ui/ra-profiles/{ra_uuid}/disable", {}),
        (f"/ui/ra-profiles/{ra_uuid}/delete", {}),
    ):
        response = auditor.form(path, data)
        assert response.status_code == 403, path
        assert "Not allowed" in response.text
    assert services.authorities.get(CLI_ACTOR, authority).authority.enabled
    stored = services.ra_profiles.get(CLI_ACTOR, ra_uuid).profile
    assert stored.enabled
    assert stored.policy.max_names == 10
    assert len(services.ra_profiles.list_all(CLI_ACTOR, authority)) == 1


def test_a_post_without_the_csrf_token_is_refused(admin: WebClient, acmehub: AcmehubServer) -> None:
    authority = new_authority(admin, unique("ca"))
    response = admin.post(f"/ui/authorities/{authority}/disable", [])
    assert response.status_code == 403
    assert acmehub.container().services.authorities.get(CLI_ACTOR, authority).authority.enabled

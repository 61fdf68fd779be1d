"""The ACME profiles section over real HTTP: list, search, paging, create and edit with the
service's messages next to the fields, detail with the client commands, bulk actions and delete
with the force-delete confirmation."""

from __future__ import annotations

import html
import re
import secrets

import pytest

from acmehub.domain.model import AccountStatus, AcmeProfile, RaProfile
from acmehub.services.accounts import NewAccountRequest
from acmehub.services.admin import CLI_ACTOR
from acmehub.services.context import ProfileMode, ProfileRef
from tests.fakes import AccountKey
from tests.support.server import AcmehubServer
from tests.webui.conftest import WebClient

DASH = "\u2013"  # the pager's en dash: Showing 1\u201310 of 12


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert found, f"no error shown next to {field}"
    return html.unescape(found.group(1))


def create(admin: WebClient, name: str, **values: str) -> str:
    """Create a profile through the form; its UUID."""
    admin.get("/ui/acme-profiles/new")
    form = {"name": name, "retryInterval": "30", "validity": "36000", **values}
    response = admin.form("/ui/acme-profiles/new", form)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def stored(acmehub: AcmehubServer, uuid: str) -> AcmeProfile:
    return acmehub.container().services.acme_profiles.get(CLI_ACTOR, uuid).profile


def default_ra(acmehub: AcmehubServer) -> RaProfile:
    views = acmehub.container().services.ra_profiles.list_all(CLI_ACTOR)
    return next(v.profile for v in views if v.profile.name == "default")


def test_create_shows_the_new_profile_with_its_directory_and_commands(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    name = unique("web")
    ra = default_ra(acmehub)
    uuid = create(
        admin,
        name,
        description="Made in the browser",
        raProfileUuid=ra.uuid,
        requireContact="on",
        termsOfServiceUrl="https://example.com/tos",
        issueCertificateAttributes='{"team": "web"}',
        enabled="on",
    )
    profile = stored(acmehub, uuid)
    assert profile.enabled
    assert profile.require_contact
    assert profile.default_ra_profile_uuid == ra.uuid
    assert profile.issue_certificate_attributes == {"team": "web"}
    assert profile.terms_of_service_url == "https://example.com/tos"

    detail = admin.get(f"/ui/acme-profiles/{uuid}")
    assert "ACME profile " + name + " created." in html.unescape(detail.text)  # flash
    directory = f"{acmehub.base_url}/acme/{name}/directory"
    assert f'<code id="directory-url">{directory}</code>' in detail.text
    assert 'data-copy="#directory-url"' in detail.text
    assert f"certbot certonly --server {directory}" in detail.text
    assert f"lego --server {directory}" in detail.text
    assert "Made in the browser" in detail.text
    # The flash was shown once.
    assert "created." not in admin.get(f"/ui/acme-profiles/{uuid}").text


def test_an_eab_profile_shows_the_eab_flags(admin: WebClient) -> None:
    uuid = create(admin, unique("eab"), requireExternalAccountBinding="on")
    page = admin.get(f"/ui/acme-profiles/{uuid}").text
    assert "--eab-kid YOUR_KEY_ID --eab-hmac-key YOUR_HMAC_KEY" in page
    assert "--eab --kid YOUR_KEY_ID --hmac YOUR_HMAC_KEY" in page


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "bad name!"}, "name", "name: the ACME Profile name must be"),
        ({"name": "raProfile"}, "name", "name: 'raProfile' cannot be an ACME Profile name"),
        ({"retryInterval": "soon"}, "retryInterval", "retryInterval must be a whole number"),
        ({"retryInterval": "0"}, "retryInterval", "retryInterval must be an integer between 1"),
        ({"termsOfServiceUrl": "ftp://x"}, "termsOfServiceUrl", "termsOfServiceUrl must be"),
        ({"dnsResolverIp": "not-an-ip"}, "dnsResolverIp", "dnsResolverIp must be an IPv4"),
        (
            {"issueCertificateAttributes": "[1]"},
            "issueCertificateAttributes",
            "issueCertificateAttributes must be a JSON",
        ),
    ],
)
def test_refusals_are_shown_next_to_their_field(
    admin: WebClient, acmehub: AcmehubServer, values: dict[str, str], field: str, message: str
) -> None:
    admin.get("/ui/acme-profiles/new")
    form = {"name": unique("bad"), "retryInterval": "30", "validity": "36000", **values}
    response = admin.form("/ui/acme-profiles/new", form)
    assert response.status_code == 422
    assert field_error(response.text, field).startswith(message)
    assert 'aria-invalid="true"' in response.text
    # What was typed stays in the form.
    assert f'value="{html.escape(values.get("name", form["name"]))}"' in response.text
    names = {v.profile.name for v in acmehub.container().services.acme_profiles.list_all(CLI_ACTOR)}
    assert form["name"] not in names


def test_a_duplicate_name_is_refused_on_the_name_field(admin: WebClient) -> None:
    admin.get("/ui/acme-profiles/new")
    response = admin.form(
        "/ui/acme-profiles/new", {"name": "default", "retryInterval": "1", "validity": "60"}
    )
    assert response.status_code == 409
    assert field_error(response.text, "name") == "ACME Profile default already exists"


def test_edit_changes_the_profile_and_keeps_its_name(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    name = unique("edit")
    uuid = create(admin, name)
    form = admin.get(f"/ui/acme-profiles/{uuid}/edit").text
    assert "readonly" in form
    assert f'value="{name}"' in form
    response = admin.form(
        f"/ui/acme-profiles/{uuid}/edit",
        {
            "name": "renamed",  # read-only in the form; ignored
            "description": "Changed",
            "retryInterval": "7",
            "validity": "600",
            "requireTermsOfService": "on",
        },
    )
    assert response.status_code == 303
    profile = stored(acmehub, uuid)
    assert (profile.name, profile.description, profile.retry_interval) == (name, "Changed", 7)
    assert profile.require_terms_of_service
    assert not profile.require_contact
    bad = admin.form(
        f"/ui/acme-profiles/{uuid}/edit", {"retryInterval": "7", "validity": "99999999"}
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "validity").startswith("validity must be an integer between")


def test_the_list_searches_filters_and_pages_on_the_server(admin: WebClient) -> None:
    tag = secrets.token_hex(3)
    uuids = [create(admin, f"page-{tag}-{i:02d}", description=f"batch {tag}") for i in range(12)]
    first = admin.get(f"/ui/acme-profiles?q=batch+{tag}&size=10").text
    assert f"Showing 1{DASH}10 of 12" in first
    assert first.count(f'">page-{tag}-') == 10  # the links to the profiles
    assert f"page={2}" in first
    assert 'rel="next"' in first
    second = admin.get(f"/ui/acme-profiles?q=batch+{tag}&size=10&page=2").text
    assert f"Showing 11{DASH}12 of 12" in second
    assert f"page-{tag}-11" in second
    assert f"page-{tag}-00" not in second
    admin.form("/ui/acme-profiles/bulk", {"action": "enable", "uuid": uuids[:3]})
    enabled = admin.get(f"/ui/acme-profiles?q={tag}&status=enabled").text
    assert f"Showing 1{DASH}3 of 3" in enabled
    nothing = admin.get("/ui/acme-profiles?q=no-such-profile-anywhere").text
    assert "Nothing to show" in nothing
    assert "No ACME profiles match." in nothing


def test_bulk_enable_and_disable_report_what_was_done(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    one, two = create(admin, unique("bulk")), create(admin, unique("bulk"))
    admin.get("/ui/acme-profiles")
    back = "/ui/acme-profiles?q=bulk"
    response = admin.form(
        "/ui/acme-profiles/bulk", {"action": "enable", "uuid": [one, two], "back": back}
    )
    assert response.headers["location"] == back
    assert "2 ACME profiles enabled." in admin.get(back).text
    assert stored(acmehub, one).enabled
    assert stored(acmehub, two).enabled
    # Enabling again fails per profile, with the service's message.
    admin.form("/ui/acme-profiles/bulk", {"action": "enable", "uuid": [one]})
    assert "is already enabled" in admin.get("/ui/acme-profiles").text
    admin.form("/ui/acme-profiles/bulk", {"action": "disable", "uuid": [one]})
    assert not stored(acmehub, one).enabled
    assert "Select at least one" in html.unescape(
        admin.get(
            admin.form("/ui/acme-profiles/bulk", {"action": "disable"}).headers["location"]
        ).text
    )


def test_deleting_an_unused_profile_asks_first(admin: WebClient, acmehub: AcmehubServer) -> None:
    name = unique("gone")
    uuid = create(admin, name)
    confirm = admin.get(f"/ui/acme-profiles/delete?uuid={uuid}")
    assert confirm.status_code == 200
    assert "Delete 1 ACME profile?" in confirm.text
    assert "Force delete" not in confirm.text
    assert stored(acmehub, uuid).name == name  # asking changed nothing
    done = admin.form("/ui/acme-profiles/bulk", {"action": "delete-confirmed", "uuid": uuid})
    assert done.status_code == 303
    assert "1 ACME profile deleted." in admin.get(done.headers["location"]).text
    assert admin.get(f"/ui/acme-profiles/{uuid}").status_code == 404


def test_force_delete_lists_what_depends_on_the_profile(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    services = acmehub.container().services
    authority = services.authorities.list_all(CLI_ACTOR)[0].authority
    name = unique("used")
    ra = services.platform.create_ra_profile(authority.uuid, unique("ra"))
    profile = services.platform.create_acme_profile(
        name, enabled=True, default_ra_profile_uuid=ra.uuid
    )
    services.platform.activate_acme(ra.uuid, profile.uuid)
    key = AccountKey.generate()
    ctx = services.context(ProfileRef(ProfileMode.ACME_PROFILE, name))
    account, _ = services.accounts.new_account(
        ctx, NewAccountRequest(jwk=key.jwk, thumbprint=key.thumbprint, payload={})
    )

    admin.get("/ui/acme-profiles")
    confirm = admin.form("/ui/acme-profiles/bulk", {"action": "delete", "uuid": profile.uuid})
    assert confirm.status_code == 200
    text = " ".join(html.unescape(confirm.text).split())
    assert "ACME accounts bound to it: <strong>1</strong>" in text
    assert f"RA profiles with it activated: <strong>{ra.name}</strong>" in text
    assert "Force delete" in text
    assert "in use" in text
    # A plain delete is refused by the service; the page asks again, offering force delete.
    plain = admin.form(
        "/ui/acme-profiles/bulk", {"action": "delete-confirmed", "uuid": profile.uuid}
    )
    assert plain.status_code == 200
    assert f"ACME Profile {name} is activated on RA Profile(s) {ra.name}" in html.unescape(
        plain.text
    )
    assert stored(acmehub, profile.uuid).name == name
    forced = admin.form("/ui/acme-profiles/bulk", {"action": "force-delete", "uuid": profile.uuid})
    assert forced.status_code == 303
    assert "1 ACME profile deleted." in admin.get(forced.headers["location"]).text
    views = services.acme_profiles.list_all(CLI_ACTOR)
    assert name not in [v.profile.name for v in views]  # deleted or retired under a new name
    with services.deps.uow() as tx:
        kept = tx.accounts.get(account.id)
    assert kept is not None
    assert kept.status is AccountStatus.DEACTIVATED


def test_an_unknown_profile_is_a_friendly_404(admin: WebClient) -> None:
    response = admin.get("/ui/acme-profiles/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert "ACME Profile not found" in response.text


def test_pre_authorization_and_reuse_in_the_form(admin: WebClient, acmehub: AcmehubServer) -> None:
    uuid = create(admin, unique("preauth"))
    form = admin.get(f"/ui/acme-profiles/{uuid}/edit").text
    assert "Pre-authorization and reuse" in form
    for field in ("newAuthzEnabled", "subdomainAuthAllowed", "authorizationReuse"):
        assert f'name="{field}"' in form
    response = admin.form(
        f"/ui/acme-profiles/{uuid}/edit",
        {
            "retryInterval": "30",
            "validity": "36000",
            "newAuthzEnabled": "on",
            "subdomainAuthAllowed": "on",
            "authorizationReuse": "2592000",
        },
    )
    assert response.status_code == 303, response.text
    profile = stored(acmehub, uuid)
    assert profile.new_authz_enabled
    assert profile.subdomain_auth_allowed
    assert profile.authorization_reuse == 2592000

"""EAB keys over real HTTP: the profile chooser, the key list, create (the secret shown once,
with the certbot and lego flags), field errors, revoke after confirming; auditors only look."""

from __future__ import annotations

import html
import re
import secrets

from acmehub.domain.admin_model import Role
from acmehub.domain.model import AcmeProfile
from acmehub.domain.ports import Page
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer
from tests.webui.conftest import ClientFactory, WebClient


def profile(acmehub: AcmehubServer) -> AcmeProfile:
    name = f"eab-{secrets.token_hex(4)}"
    return acmehub.container().services.platform.create_acme_profile(
        name, require_external_account_binding=True
    )


def test_an_admin_creates_a_key_and_sees_its_secret_once(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    acme = profile(acmehub)
    services = acmehub.container().services
    chooser = admin.get("/ui/eab-keys")
    assert chooser.status_code == 200
    assert "<h1>EAB keys</h1>" in chooser.text
    assert f'href="/ui/eab-keys/{acme.uuid}"' in admin.get(f"/ui/acme-profiles/{acme.uuid}").text
    listing = admin.get(f"/ui/eab-keys/{acme.uuid}")
    assert "No EAB keys yet." in listing.text

    created = admin.form(
        f"/ui/eab-keys/{acme.uuid}/new",
        {"description": "for the web team", "algorithm": "HS256", "validitySeconds": "3600"},
    )
    assert created.status_code == 201, created.text
    (key,) = services.eab.list(CLI_ACTOR, acme.uuid, Page(0, 10))
    text = html.unescape(created.text)
    secret = re.search(r'<code id="eab-hmac">([^<]+)</code>', text)
    assert secret, text
    directory = f"{acmehub.base_url}/acme/{acme.name}/directory"
    assert f"--server {directory} --eab-kid {key.key_id} --eab-hmac-key {secret.group(1)}" in text
    assert f"--eab --kid {key.key_id} --hmac {secret.group(1)}" in text
    assert "set-cookie" not in created.headers  # not carried in a flash cookie

    listing = admin.get(f"/ui/eab-keys/{acme.uuid}")
    assert key.key_id in listing.text
    assert "for the web team" in listing.text
    assert secret.group(1) not in listing.text  # never shown again
    assert ">active<" in listing.text

    confirm = admin.get(f"/ui/eab-keys/{acme.uuid}/{key.key_id}/revoke")
    assert "Revoke EAB key" in confirm.text
    revoked = admin.form(f"/ui/eab-keys/{acme.uuid}/{key.key_id}/revoke")
    assert revoked.status_code == 303
    assert services.eab.get(CLI_ACTOR, acme.uuid, key.key_id).revoked_at is not None
    assert ">revoked<" in admin.get(revoked.headers["location"]).text


def test_refusals_are_shown_next_to_their_field(admin: WebClient, acmehub: AcmehubServer) -> None:
    acme = profile(acmehub)
    admin.get(f"/ui/eab-keys/{acme.uuid}")
    for values, field, message in (
        ({"algorithm": "HS1"}, "algorithm", "algorithm must be one of"),
        ({"validitySeconds": "soon"}, "validitySeconds", "validitySeconds must be a whole"),
        ({"description": "x" * 501}, "description", "description must be at most"),
    ):
        response = admin.form(f"/ui/eab-keys/{acme.uuid}/new", {"algorithm": "HS256", **values})
        assert response.status_code == 422, values
        found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', response.text)
        assert found, values
        assert html.unescape(found.group(1)).startswith(message), values
    assert acmehub.container().services.eab.list(CLI_ACTOR, acme.uuid, Page(0, 10)) == []


def test_an_auditor_sees_the_keys_and_changes_nothing(
    admin: WebClient, web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    acme = profile(acmehub)
    admin.get(f"/ui/eab-keys/{acme.uuid}")
    assert admin.form(f"/ui/eab-keys/{acme.uuid}/new", {"algorithm": "HS256"}).status_code == 201
    services = acmehub.container().services
    (key,) = services.eab.list(CLI_ACTOR, acme.uuid, Page(0, 10))
    auditor = web_as(Role.AUDITOR)
    for path in ("/ui/eab-keys", f"/ui/eab-keys/{acme.uuid}"):
        assert auditor.get(path).status_code == 200, path
    assert auditor.get(f"/ui/eab-keys/{acme.uuid}/{key.key_id}/revoke").status_code == 200
    for path in (f"/ui/eab-keys/{acme.uuid}/new", f"/ui/eab-keys/{acme.uuid}/{key.key_id}/revoke"):
        response = auditor.form(path, {"algorithm": "HS256"})
        assert response.status_code == 403, path
    keys = services.eab.list(CLI_ACTOR, acme.uuid, Page(0, 10))
    assert len(keys) == 1
    assert keys[0].revoked_at is None
    # Without the CSRF token, even an admin is refused.
    refused = admin.post(f"/ui/eab-keys/{acme.uuid}/{key.key_id}/revoke", [])
    assert refused.status_code == 403
    assert services.eab.get(CLI_ACTOR, acme.uuid, key.key_id).revoked_at is None


def test_the_new_keys_directory_url_is_the_configured_one_whatever_the_host_header(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    acme = profile(acmehub)
    admin.get(f"/ui/eab-keys/{acme.uuid}")
    created = admin.form(
        f"/ui/eab-keys/{acme.uuid}/new",
        {"algorithm": "HS256"},
        headers={"Host": "attacker.example:8443"},
    )
    assert created.status_code == 201, created.text
    text = html.unescape(created.text)
    directory = f"{acmehub.base_url}/acme/{acme.name}/directory"
    assert f"--server {directory} --eab-kid" in text
    assert f"--server {directory} --eab --kid" in text
    assert "attacker.example" not in text
    assert created.headers["cache-control"] == "no-store"

"""The audit log page: what was done through the web interface, by whom, with filters."""

from __future__ import annotations

import secrets

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer
from tests.webui.conftest import ClientFactory, WebClient

DASH = "\u2013"


def test_changes_made_in_the_interface_are_in_the_audit_log_under_the_user(
    web_as: ClientFactory, anonymous: WebClient
) -> None:
    admin = web_as(Role.ADMIN)
    me = admin.get("/ui/").text.split("Signed in as <strong>")[1].split("<")[0]
    name = f"audited-{secrets.token_hex(4)}"
    admin.get("/ui/acme-profiles/new")
    created = admin.form(
        "/ui/acme-profiles/new", {"name": name, "retryInterval": "1", "validity": "60"}
    )
    assert created.status_code == 303
    page = admin.get(f"/ui/audit?actor=user:{me}&action=acmeProfile.create").text
    assert f"name: {name}" in page
    assert "Showing 1" in page
    anonymous.sign_in(me, "not my password")
    failures = admin.get(f"/ui/audit?actor=user:{me}&outcome=failure").text
    assert "user.signIn" in failures
    assert "reason: bad password" in failures
    assert "Page 1" in failures


def test_the_audit_log_pages_without_counting(admin: WebClient, acmehub: AcmehubServer) -> None:
    services = acmehub.container().services
    profile = services.platform.create_acme_profile(f"toggled-{secrets.token_hex(4)}")
    for _ in range(6):  # 12 more events
        services.acme_profiles.enable(CLI_ACTOR, profile.uuid)
        services.acme_profiles.disable(CLI_ACTOR, profile.uuid)
    query = f"object_id={profile.uuid}&size=10"
    first = admin.get(f"/ui/audit?{query}").text
    assert f"Showing 1{DASH}10 </p>" in " ".join(first.split())
    assert 'rel="next"' in first
    second = admin.get(f"/ui/audit?{query}&page=2").text
    assert f"Showing 11{DASH}13 </p>" in " ".join(second.split())
    assert 'rel="next"' not in second
    assert "acmeProfile.create" in second  # the oldest, last


def test_a_bad_filter_is_explained(admin: WebClient) -> None:
    response = admin.get("/ui/audit?since=yesterday")
    assert response.status_code == 200
    assert "since must be a date (yyyy-mm-dd)" in response.text
    response = admin.get("/ui/audit?since=2026-05-02&until=2026-05-01")
    assert "since must not be after until" in response.text

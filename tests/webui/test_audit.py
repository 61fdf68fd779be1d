"""The audit log page: what was done through the web interface, by whom, with filters."""

from __future__ import annotations

import secrets

from acmehub.domain.model import Role
from tests.webui.conftest import ClientFactory, WebClient


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


def test_the_audit_log_pages_without_counting(admin: WebClient) -> None:
    first = admin.get("/ui/audit?size=10").text
    assert "Showing 1" in first
    assert 'rel="next"' in first  # the session's sign-ins and changes fill more than 10
    second = admin.get("/ui/audit?size=10&page=2").text
    assert "Showing 11" in second


def test_a_bad_filter_is_explained(admin: WebClient) -> None:
    response = admin.get("/ui/audit?since=yesterday")
    assert response.status_code == 200
    assert "since must be a date (yyyy-mm-dd)" in response.text
    response = admin.get("/ui/audit?since=2026-05-02&until=2026-05-01")
    assert "since must not be after until" in response.text

"""Failed sign-ins and refused API tokens are audited with the real client address: a proxy's
Forwarded / X-Forwarded-For header counts only when the connecting peer is a trusted proxy
(``trusted_proxies``); the sign-in throttle holds back that address, not the proxy's."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from acmehub.domain.admin_model import AuditEvent, Role
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer
from tests.webui.conftest import PASSWORD, WebClient


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcmehubServer]:
    """An acmehub behind a proxy on loopback: 127.0.0.1 is its trusted proxy."""
    root = tmp_path_factory.mktemp("proxied")
    server = AcmehubServer(
        root / "state",
        dns_port=None,
        ACMEHUB_VALIDATION_WORKERS="0",
        ACMEHUB_TRUSTED_PROXIES="127.0.0.1",
    ).start()
    yield server
    server.stop()


def events(server: AcmehubServer, action: str, actor: str) -> list[AuditEvent]:
    page = server.container().services.audit_log.list(
        CLI_ACTOR, AuditFilter(action=action, actor=actor), Page(0, 50)
    )
    return page.events


def failed_sign_in(server: AcmehubServer, username: str, headers: dict[str, str]) -> str:
    """The source address the failed sign-in of ``username`` was audited with."""
    client = WebClient(server)
    try:
        response = client.sign_in(username, "not the password", headers=headers)
    finally:
        client.close()
    assert response.status_code == 401, response.text
    [event] = events(server, "user.signIn", f"user:{username}")
    return str(event.detail["source"])


def test_without_a_trusted_proxy_the_headers_are_ignored(acmehub: AcmehubServer) -> None:
    spoofed = {"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=203.0.113.9"}
    assert failed_sign_in(acmehub, f"nobody-{secrets.token_hex(4)}", spoofed) == "127.0.0.1"


@pytest.mark.parametrize(
    ("headers", "source"),
    [
        ({"X-Forwarded-For": "198.51.100.1, 203.0.113.5"}, "203.0.113.5"),
        ({"X-Forwarded-For": "203.0.113.5, 127.0.0.1"}, "203.0.113.5"),  # two proxies here
        ({"Forwarded": 'for="[2001:db8::7]:4711";proto=https'}, "2001:db8::7"),
        ({"Forwarded": "for=192.0.2.60", "X-Forwarded-For": "203.0.113.5"}, "192.0.2.60"),
        ({"Forwarded": "for=unknown"}, "127.0.0.1"),
        ({}, "127.0.0.1"),
    ],
)
def test_behind_a_trusted_proxy_its_header_names_the_client(
    proxied: AcmehubServer, headers: dict[str, str], source: str
) -> None:
    assert failed_sign_in(proxied, f"nobody-{secrets.token_hex(4)}", headers) == source


@pytest.mark.parametrize("server_name", ["acmehub", "proxied"])
def test_a_refused_api_token_is_audited_with_the_client_address(
    request: pytest.FixtureRequest, server_name: str
) -> None:
    server: AcmehubServer = request.getfixturevalue(server_name)
    services = server.container().services
    name = f"revoked-{secrets.token_hex(4)}"
    _, secret = services.tokens.create(CLI_ACTOR, name, Role.AUDITOR)
    services.tokens.revoke(CLI_ACTOR, name)
    with httpx.Client(base_url=server.base_url, verify=server.ssl_context()) as client:
        for token in (secret, "acmehub_" + secrets.token_urlsafe(32)):
            response = client.get(
                "/api/v1/tokens",
                headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "203.0.113.77"},
            )
            assert response.status_code == 401
    refused = events(server, "token.use", "anonymous")
    expected = "203.0.113.77" if server_name == "proxied" else "127.0.0.1"
    revoked = [e for e in refused if e.object_id == name]
    assert [(e.outcome, e.detail) for e in revoked] == [
        ("failure", {"reason": "revoked", "source": expected})
    ]
    assert any(e.detail == {"reason": "unknown", "source": expected} for e in refused)
    assert all(secret not in str(e.detail) for e in refused)


def test_the_throttle_holds_back_the_client_behind_the_proxy_not_the_proxy(
    proxied: AcmehubServer,
) -> None:
    services = proxied.container().services
    name = f"admin-{secrets.token_hex(4)}"
    services.users.create(CLI_ACTOR, name, PASSWORD, Role.ADMIN)
    guesser = {"X-Forwarded-For": "203.0.113.50"}
    client = WebClient(proxied)
    try:
        for n in range(10):  # ten wrong guesses, each for another name
            response = client.sign_in(f"guess-{n}-{name}", "not the password", headers=guesser)
            assert response.status_code == 401
        # Now the address waits between attempts (1 s, then 2 s, ...): a few quick attempts
        # find it waiting whatever the speed of this machine.
        held = [client.sign_in(name, PASSWORD, headers=guesser) for _ in range(4)]
        assert 429 in [r.status_code for r in held]
        refused = next(r for r in held if r.status_code == 429)
        assert "Too many failed sign-ins" in refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        signed_in = client.sign_in(name, PASSWORD, headers={"X-Forwarded-For": "203.0.113.51"})
        assert signed_in.status_code == 303
    finally:
        client.close()

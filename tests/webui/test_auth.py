"""Signing in and out, the session cookie, CSRF and origin checks, and roles, over real HTTP."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest

from acmehub.domain.admin_model import AuditEvent, Role
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import CLI_ACTOR
from acmehub.services.sessions import SIGN_IN_REFUSED
from tests.support.server import AcmehubServer
from tests.webui.conftest import PASSWORD, ClientFactory, UserFactory, WebClient

SESSION = "__Secure-acmehub-session"


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    found: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = cookie
    return found


def audit_events(acmehub: AcmehubServer, action: str, actor: str) -> list[AuditEvent]:
    page = acmehub.container().services.audit_log.list(
        CLI_ACTOR, AuditFilter(action=action, actor=actor), Page(0, 50)
    )
    return page.events


def test_the_root_and_every_page_lead_to_the_sign_in_page(anonymous: WebClient) -> None:
    root = anonymous.http.get("/")
    assert (root.status_code, root.headers["location"]) == (307, "/ui/")
    page = anonymous.http.get("/ui/acme-profiles?q=x")
    assert page.status_code == 303
    assert page.headers["location"] == "/ui/signin?next=/ui/acme-profiles%3Fq%3Dx"
    signin = anonymous.get("/ui/signin")
    assert signin.status_code == 200
    assert 'name="password" type="password"' in signin.text
    assert "default-src 'self'" in signin.headers["content-security-policy"]
    assert signin.headers["x-frame-options"] == "DENY"
    assert signin.headers["cache-control"] == "no-store"


def test_static_files_are_served(anonymous: WebClient) -> None:
    css = anonymous.http.get("/ui/static/app.css")
    js = anonymous.http.get("/ui/static/app.js")
    assert css.status_code == js.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "data-confirm" in js.text


def test_signing_in_sets_a_secure_httponly_strict_session_cookie(
    anonymous: WebClient, users: UserFactory
) -> None:
    name = users(Role.OPERATOR)
    response = anonymous.sign_in(name)
    assert (response.status_code, response.headers["location"]) == (303, "/ui/")
    cookie = set_cookies(response)[SESSION][SESSION]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/ui"
    assert len(cookie.value) >= 43  # 256 bits, base64url
    dashboard = anonymous.get("/ui/")
    assert dashboard.status_code == 200
    assert f"Signed in as <strong>{name}</strong>" in dashboard.text
    assert "Certificates issued per day" in dashboard.text


@pytest.mark.parametrize("wrong", ["password", "user"])
def test_a_wrong_password_or_user_gets_the_same_answer_and_is_audited(
    anonymous: WebClient, users: UserFactory, acmehub: AcmehubServer, wrong: str
) -> None:
    name = users(Role.ADMIN)
    username = name if wrong == "password" else f"nobody-{name}"
    response = anonymous.sign_in(username, "not the password" if wrong == "password" else PASSWORD)
    assert response.status_code == 401
    assert SIGN_IN_REFUSED in response.text
    assert SESSION not in set_cookies(response)
    assert f'value="{username}"' in response.text  # the form keeps the name
    [event] = audit_events(acmehub, "user.signIn", actor=f"user:{username}")
    assert event.outcome == "failure"
    assert event.detail["reason"] == ("bad password" if wrong == "password" else "unknown user")
    assert anonymous.http.get("/ui/").status_code == 303  # still signed out


def test_sign_in_without_its_csrf_token_is_refused(
    anonymous: WebClient, users: UserFactory
) -> None:
    name = users(Role.ADMIN)
    response = anonymous.post("/ui/signin", [("username", name), ("password", PASSWORD)])
    assert response.status_code == 403
    assert SESSION not in set_cookies(response)


def test_sign_in_goes_back_to_the_page_asked_for_but_never_elsewhere(
    anonymous: WebClient, users: UserFactory
) -> None:
    name = users(Role.AUDITOR)
    anonymous.get("/ui/signin?next=/ui/acme-profiles")
    response = anonymous.form(
        "/ui/signin", {"username": name, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["location"] == "/ui/"
    anonymous.http.cookies.clear()
    anonymous.get("/ui/signin")
    response = anonymous.form(
        "/ui/signin", {"username": name, "password": PASSWORD, "next": "/ui/acme-profiles"}
    )
    assert response.headers["location"] == "/ui/acme-profiles"


def test_sign_out_ends_the_session_on_the_server(admin: WebClient) -> None:
    session = admin.http.cookies.get(SESSION, path="/ui")
    assert session
    response = admin.form("/ui/signout")
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/ui/signin?signed_out=1",
    )
    assert "You have signed out." in admin.get(response.headers["location"]).text
    # The old cookie, replayed, opens nothing.
    replay = httpx.Client(
        base_url=admin.server.base_url, verify=admin.server.ssl_context(), timeout=30
    )
    replay.cookies.set(SESSION, session, path="/ui")
    with replay:
        assert replay.get("/ui/").status_code == 303


def test_a_disabled_user_is_signed_out_at_once(
    web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    client = web_as(Role.OPERATOR)
    username = client.get("/ui/").text.split("Signed in as <strong>")[1].split("<")[0]
    acmehub.container().services.users.disable(CLI_ACTOR, username)
    assert client.http.get("/ui/").status_code == 303


def _profile_enabled(acmehub: AcmehubServer, name: str) -> bool:
    views = acmehub.container().services.acme_profiles.list_all(CLI_ACTOR)
    return next(v.profile.enabled for v in views if v.profile.name == name)


def _default_uuid(acmehub: AcmehubServer) -> str:
    views = acmehub.container().services.acme_profiles.list_all(CLI_ACTOR)
    return next(v.profile.uuid for v in views if v.profile.name == "default")


@pytest.mark.parametrize(
    "how", ["no token", "wrong token", "token of another session", "foreign origin", "json"]
)
def test_a_post_without_a_valid_csrf_token_or_from_elsewhere_is_refused(
    admin: WebClient, web_as: ClientFactory, acmehub: AcmehubServer, how: str
) -> None:
    uuid = _default_uuid(acmehub)
    pairs = [("action", "disable"), ("uuid", uuid)]
    headers = {}
    if how == "wrong token":
        pairs.append(("csrf_token", "x" * 43))
    elif how == "token of another session":
        pairs.append(("csrf_token", web_as(Role.ADMIN).csrf))
    elif how == "foreign origin":
        pairs.append(("csrf_token", admin.csrf))
        headers["Origin"] = "https://evil.example"
    if how == "json":
        response = admin.http.post(
            "/ui/acme-profiles/bulk", json={"action": "disable", "uuid": [uuid]}
        )
        assert response.status_code == 415
    else:
        response = admin.post("/ui/acme-profiles/bulk", pairs, headers=headers)
        assert response.status_code == 403
        assert "Not allowed" in response.text
    assert _profile_enabled(acmehub, "default")  # nothing changed


def test_the_same_post_with_its_token_from_this_site_works(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    name = "csrf-ok-" + admin.csrf[:6].lower().replace("_", "-")
    admin.get("/ui/acme-profiles/new")
    created = admin.form(
        "/ui/acme-profiles/new",
        {"name": name, "retryInterval": "5", "validity": "3600"},
        headers={"Origin": acmehub.base_url},
    )
    assert created.status_code == 303, created.text
    uuid = created.headers["location"].rsplit("/", 1)[1]
    admin.get(created.headers["location"])
    enabled = admin.form(
        "/ui/acme-profiles/bulk",
        {"action": "enable", "uuid": uuid},
        headers={"Referer": f"{acmehub.base_url}/ui/acme-profiles"},
    )
    assert enabled.status_code == 303
    assert _profile_enabled(acmehub, name)


def test_an_auditor_reads_everything_and_changes_nothing(
    web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    auditor = web_as(Role.AUDITOR)
    uuid = _default_uuid(acmehub)
    for path in ("/ui/", "/ui/acme-profiles", f"/ui/acme-profiles/{uuid}", "/ui/audit"):
        assert auditor.get(path).status_code == 200, path
    auditor.get(f"/ui/acme-profiles/{uuid}")
    attempts = [
        ("/ui/acme-profiles/bulk", {"action": "disable", "uuid": uuid}),
        ("/ui/acme-profiles/bulk", {"action": "force-delete", "uuid": uuid}),
        (f"/ui/acme-profiles/{uuid}/disable", {}),
        (
            f"/ui/acme-profiles/{uuid}/edit",
            {"description": "auditor was here", "retryInterval": "1", "validity": "36000"},
        ),
        ("/ui/acme-profiles/new", {"name": "auditor-made", "retryInterval": "1", "validity": "60"}),
    ]
    for path, data in attempts:
        response = auditor.form(path, data)
        assert response.status_code == 403, (path, response.text)
        assert "Not allowed" in response.text
        assert "auditor" in response.text
    view = acmehub.container().services.acme_profiles.get(CLI_ACTOR, uuid)
    assert view.profile.enabled
    assert view.profile.description != "auditor was here"
    names = [v.profile.name for v in acmehub.container().services.acme_profiles.list_all(CLI_ACTOR)]
    assert "auditor-made" not in names


def test_an_operator_may_switch_profiles_but_not_configure_them(
    web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    operator = web_as(Role.OPERATOR)
    admin_view = acmehub.container().services.acme_profiles
    profile = acmehub.container().services.platform.create_acme_profile(
        f"op-{operator.csrf[:6].lower().replace('_', '-')}"
    )
    operator.get(f"/ui/acme-profiles/{profile.uuid}")
    assert operator.form(f"/ui/acme-profiles/{profile.uuid}/enable").status_code == 303
    assert admin_view.get(CLI_ACTOR, profile.uuid).profile.enabled
    operator.get(f"/ui/acme-profiles/{profile.uuid}/edit")
    edit = operator.form(
        f"/ui/acme-profiles/{profile.uuid}/edit",
        {"description": "x", "retryInterval": "1", "validity": "36000"},
    )
    assert edit.status_code == 403


def test_an_unknown_page_is_a_friendly_404_after_signing_in(
    anonymous: WebClient, admin: WebClient
) -> None:
    assert anonymous.http.get("/ui/no/such/page").status_code == 303
    response = admin.get("/ui/no/such/page")
    assert response.status_code == 404
    assert "There is no page at this address." in response.text

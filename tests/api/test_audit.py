"""GET /auditLogs and GET /tokens over real HTTPS: shapes, filters, paging, roles, errors."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.api.conftest import ApiFactory
from tests.support.server import AcmehubServer

EVENT_KEYS = {"id", "at", "actor", "action", "objectType", "objectId", "outcome", "detail"}


def _token_events(acmehub: AcmehubServer) -> tuple[str, datetime, datetime]:
    """Create and revoke a token named uniquely; (name, time before, time after)."""
    name = f"audited-{secrets.token_hex(4)}"
    tokens = acmehub.container().services.tokens
    before = datetime.now(UTC) - timedelta(seconds=1)
    tokens.create(CLI_ACTOR, name, Role.AUDITOR)
    tokens.revoke(CLI_ACTOR, name)
    return name, before, datetime.now(UTC) + timedelta(seconds=1)


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def test_anonymous_callers_get_401(anonymous: httpx.Client) -> None:
    for path in ("/auditLogs", "/tokens"):
        body = _problem(anonymous.get(path), 401)
        assert body["code"] == "unauthorized"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_audit_log(api_as: ApiFactory, role: Role) -> None:
    response = api_as(role).get("/auditLogs", params={"limit": 5})
    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"items", "offset", "limit", "hasMore"}
    assert page["offset"] == 0
    assert page["limit"] == 5
    assert 1 <= len(page["items"]) <= 5  # at least the token the fixture created
    assert all(set(item) == EVENT_KEYS for item in page["items"])


def test_token_lifecycle_is_audited_with_actor_time_object_and_outcome(
    acmehub: AcmehubServer, api: httpx.Client
) -> None:
    name, before, after = _token_events(acmehub)
    response = api.get("/auditLogs", params={"objectType": "token", "objectId": name})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["action"] for i in items] == ["token.revoke", "token.create"]  # newest first
    created = items[1]
    assert created["actor"] == "cli"
    assert created["outcome"] == "success"
    assert created["detail"] == {"role": "auditor"}
    at = datetime.fromisoformat(created["at"])
    assert before <= at <= after
    assert items[0]["id"] > created["id"]


def test_filters_narrow_the_result(acmehub: AcmehubServer, api: httpx.Client) -> None:
    name, before, after = _token_events(acmehub)

    def actions(**params: str) -> list[str]:
        response = api.get("/auditLogs", params={"objectId": name, **params})
        assert response.status_code == 200, response.text
        return [i["action"] for i in response.json()["items"]]

    assert actions(action="token.create") == ["token.create"]
    assert actions(actor="cli", outcome="success") == ["token.revoke", "token.create"]
    assert actions(actor="token:someone-else") == []
    assert actions(outcome="failure") == []
    assert actions(since=before.isoformat(), until=after.isoformat()) == [
        "token.revoke",
        "token.create",
    ]
    assert actions(since=after.isoformat()) == []
    assert actions(until=before.isoformat()) == []
    # A zone other than UTC means the same instant.
    shifted = before.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+05:30").tzinfo)
    assert len(actions(since=shifted.isoformat())) == 2


def test_paging_walks_the_log_without_gaps(acmehub: AcmehubServer, api: httpx.Client) -> None:
    name, _, _ = _token_events(acmehub)
    first = api.get("/auditLogs", params={"objectId": name, "limit": 1}).json()
    assert first["hasMore"] is True
    second = api.get("/auditLogs", params={"objectId": name, "limit": 1, "offset": 1}).json()
    assert second["hasMore"] is False
    assert [first["items"][0]["action"], second["items"][0]["action"]] == [
        "token.revoke",
        "token.create",
    ]
    beyond = api.get("/auditLogs", params={"objectId": name, "offset": 2}).json()
    assert beyond == {"items": [], "offset": 2, "limit": 100, "hasMore": False}


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"outcome": "maybe"}, "outcome", "success"),
        ({"limit": "0"}, "limit", "greater than or equal to 1"),
        ({"limit": "1001"}, "limit", "less than or equal to 1000"),
        ({"offset": "-1"}, "offset", "greater than or equal to 0"),
        ({"since": "yesterday"}, "since", "RFC 3339"),
        ({"until": "0.5"}, "until", "RFC 3339"),
        ({"since": "2026-05-01T12:00:00"}, "since", "with a time zone"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since", "not a representable date-time"),
    ],
)
def test_invalid_query_is_a_422_problem_naming_the_field(
    api: httpx.Client, params: dict[str, str], field: str, words: str
) -> None:
    body = _problem(api.get("/auditLogs", params=params), 422)
    assert body["code"] == "invalidInput"
    errors = body["errors"]
    assert isinstance(errors, list)
    assert [e["field"] for e in errors] == [field]
    assert words in str(body["detail"])


def test_since_must_not_be_after_until(api: httpx.Client) -> None:
    backwards = _problem(
        api.get(
            "/auditLogs",
            params={"since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"},
        ),
        422,
    )
    assert "since must not be after until" in str(backwards["detail"])


def test_token_list_shows_names_and_roles_never_secrets(
    acmehub: AcmehubServer, api_as: ApiFactory
) -> None:
    name = f"listed-{secrets.token_hex(4)}"
    token, secret = acmehub.container().services.tokens.create(CLI_ACTOR, name, Role.OPERATOR)
    response = api_as(Role.AUDITOR).get("/tokens", params={"limit": 1000})
    assert response.status_code == 200, response.text
    listed = {t["name"]: t for t in response.json()["items"]}
    assert listed[name] == {
        "uuid": token.uuid,
        "name": name,
        "role": "operator",
        "createdAt": listed[name]["createdAt"],
        "revokedAt": None,
        "expiresAt": listed[name]["expiresAt"],
        "scopes": [],
    }
    assert datetime.fromisoformat(listed[name]["createdAt"]) == token.created_at
    assert datetime.fromisoformat(listed[name]["expiresAt"]) == token.expires_at
    assert secret not in response.text
    assert token.token_hash not in response.text
    names = list(listed)
    assert names == sorted(names)


def test_the_audit_log_cannot_be_written_over_http(api: httpx.Client) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        body = _problem(api.request(method, "/auditLogs", json={}), 405)
        assert body["code"] == "methodNotAllowed"
    refused = api.post("/tokens", json={"name": "x", "role": "admin"})
    _problem(refused, 405)
    assert refused.headers["allow"] == "GET"


def test_unknown_paths_are_404_problems(api: httpx.Client) -> None:
    body = _problem(api.get("/auditLogs/nothing-here"), 404)
    assert body["code"] == "notFound"

"""Problem documents (RFC 9457): a type URI per kind, a title for people, field-level errors,
and a body that is not JSON answered 400, not 422."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

TYPE_BASE = "https://acmehub.dev/problems/"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    # RFC 9457 §4.2.1: a type of ours, not about:blank with the code as the title.
    assert body["type"] == TYPE_BASE + code
    assert body["title"]
    assert body["title"] != code
    assert body["detail"]
    return body


def test_each_kind_has_its_type_and_title(api: httpx.Client, anonymous: httpx.Client) -> None:
    unauthorized = _problem(anonymous.get("/tokens"), 401, "unauthorized")
    not_found = _problem(api.get("/certificates/no-such-one"), 404, "notFound")
    not_allowed = _problem(api.delete("/auditLogs"), 405, "methodNotAllowed")
    titles = {unauthorized["title"], not_found["title"], not_allowed["title"]}
    assert titles == {"Authentication required", "Not found", "Method not allowed"}


def test_invalid_input_lists_each_field_with_a_code(api: httpx.Client) -> None:
    response = api.get("/auditLogs", params={"limit": "0", "outcome": "x"})
    body = _problem(response, 422, "invalidInput")
    assert body["title"] == "Invalid input"
    by_field = {e["field"]: e for e in body["errors"]}
    assert set(by_field) == {"limit", "outcome"}
    assert by_field["limit"]["code"] == "greater_than_equal"
    assert "greater than or equal to 1" in by_field["limit"]["message"]


def test_body_fields_are_named_in_camel_case(api: httpx.Client) -> None:
    body = _problem(
        api.post("/acmeProfiles", json={"name": "x" * 300, "retryInterval": "soon"}),
        422,
        "invalidInput",
    )
    codes = {e["field"]: e["code"] for e in body["errors"]}
    assert codes["retryInterval"] == "int_parsing"
    assert "name" in codes


@pytest.mark.parametrize(
    ("content", "content_type", "words"),
    [
        (b'{"name": ', "application/json", "not valid JSON"),
        (b"\xff\xfe{}", "application/json", "not valid JSON"),
        (b'{"name": "shop"}', "text/plain", "must be JSON"),
        (b"name=shop", "application/x-www-form-urlencoded", "must be JSON"),
    ],
)
def test_a_body_that_is_not_json_is_a_400(
    api: httpx.Client, content: bytes, content_type: str, words: str
) -> None:
    response = api.post("/acmeProfiles", content=content, headers={"content-type": content_type})
    body = _problem(response, 400, "malformed")
    assert body["title"] == "Malformed request"
    assert words in body["detail"]


def test_json_of_the_wrong_shape_is_still_a_422(api: httpx.Client) -> None:
    _problem(api.post("/acmeProfiles", json=[1, 2]), 422, "invalidInput")

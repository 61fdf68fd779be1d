"""The OpenAPI document and the docs page: served, checked in, and usable offline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_checked_in_document_matches_the_served_one(anonymous: httpx.Client) -> None:
    served = anonymous.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(CHECKED_IN.read_text()), (
        "docs/openapi.json is stale: run `make openapi` and commit the result"
    )


def test_every_operation_needs_a_token_and_answers_errors_as_problems(
    anonymous: httpx.Client,
) -> None:
    document: dict[str, Any] = anonymous.get("/openapi.json").json()
    assert document["servers"] == [{"url": "/api/v1"}]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert ("/auditLogs", "get") in {(p, m) for p, m, _ in operations}
    for path, method, op in operations:
        assert op["security"] == [{"HTTPBearer": []}], (method, path)
        for code in ("400", "401", "403", "422"):
            assert code in op["responses"], (method, path, code)
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")) and "content" in response:
                assert list(response["content"]) == ["application/problem+json"], (
                    method,
                    path,
                    code,
                )


def test_docs_page_loads_only_assets_acmehub_serves(anonymous: httpx.Client) -> None:
    page = anonymous.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "/api/v1/openapi.json" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 3  # script, stylesheet, icon
    # Nothing from another origin: no scheme, no protocol-relative URL.
    assert not re.search(r"""["'(](?:https?:)?//""", html)
    for asset in assets:
        assert asset.startswith("/api/v1/docs/static/"), asset
        response = anonymous.get(asset.removeprefix("/api/v1"))
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset
    bundle = anonymous.get("/docs/static/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"]
    # Swagger UI 5 renders OpenAPI 3.1, the version FastAPI publishes.
    assert anonymous.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert re.search(r'"5\.\d+\.\d+"', bundle.text)

"""The ACME edge's own dispatch: exact URL-table paths reach their endpoint, all else the router."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from acmehub.protocol.app import AcmeApp, Incoming
from acmehub.protocol.links import Route, routes
from acmehub.services.context import ProfileMode

ACME, RA = ProfileMode.ACME_PROFILE, ProfileMode.RA_PROFILE


@dataclass
class RecordingEndpoint:
    route: Route
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    async def respond(self, incoming: Incoming) -> tuple[int, dict[str, str], bytes]:
        body = b"".join([c async for c in incoming.chunks])
        self.calls.append(
            (
                incoming.method,
                incoming.content_type,
                body,
                incoming.path,
                incoming.query,
                incoming.profile,
                incoming.object_id,
            )
        )
        return 201, {"Replay-Nonce": "n", "Content-Type": "application/json"}, b"{}"


class Fallback:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope.get("path", scope["type"]))


def serve(app: AcmeApp, path: str, *, method: str = "POST", **scope: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    parts = [b'{"payload":', b'""}']

    async def receive() -> dict[str, Any]:
        chunk = parts.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(parts)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    base = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [(b"content-type", b"application/jose+json")],
    }
    asyncio.run(app(base | scope, receive, send))  # type: ignore[arg-type]
    return sent


@pytest.fixture
def setup() -> tuple[AcmeApp, dict[tuple[str, ProfileMode, str], RecordingEndpoint], Fallback]:
    endpoints = {(r.prefix, r.mode, r.link.value): RecordingEndpoint(r) for r in routes()}
    fallback = Fallback()
    return AcmeApp(list(endpoints.values()), fallback), endpoints, fallback  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "prefix", "mode", "link", "profile", "object_id"),
    [
        ("/acme/default/directory", "/acme", ACME, "directory", "default", ""),
        (
            "/acme/web/order/o-1/finalize",
            "/acme",
            ProfileMode.ACME_PROFILE,
            "finalize",
            "web",
            "o-1",
        ),
        ("/acme/raProfile/ra1/authz/a_2", "/acme", RA, "authz", "ra1", "a_2"),
        (
            "/acme/raProfile/new-order",
            "/acme",
            ProfileMode.ACME_PROFILE,
            "newOrder",
            "raProfile",
            "",
        ),
        (
            "/api/v1/protocols/acme/p.1/acct/x~y/orders",
            "/api/v1/protocols/acme",
            ProfileMode.ACME_PROFILE,
            "accountOrders",
            "p.1",
            "x~y",
        ),
    ],
)
def test_url_table_paths_reach_their_endpoint_with_profile_and_id(
    setup: Any,
    path: str,
    prefix: str,
    mode: ProfileMode,
    link: str,
    profile: str,
    object_id: str,
) -> None:
    app, endpoints, fallback = setup
    sent = serve(app, path)
    endpoint = endpoints[(prefix, mode, link)]
    assert endpoint.calls == [
        ("POST", "application/jose+json", b'{"payload":""}', path, "", profile, object_id)
    ]
    assert sent[0]["status"] == 201
    assert (b"content-length", b"2") in sent[0]["headers"]
    assert (b"replay-nonce", b"n") in sent[0]["headers"]
    assert sent[1] == {"type": "http.response.body", "body": b"{}"}
    assert fallback.paths == []
    assert sum(len(e.calls) for e in endpoints.values()) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/acme/default/directory/",  # trailing slash: the router decides
        "/acme//directory",  # empty profile
        "/acme/default/order//finalize",  # empty id
        "/acme/default/order/a b",  # unusual characters: the router matches as it always did
        "/acme/default/nothing-here",
        "/acme/default",
        "/acmex/default/directory",
        "/ui/",
        "/api/v1/acmeProfiles",
        "/crl/abc.crl",
    ],
)
def test_everything_else_goes_to_the_router(setup: Any, path: str) -> None:
    app, endpoints, fallback = setup
    serve(app, path)
    assert fallback.paths == [path]
    assert not any(e.calls for e in endpoints.values())


def test_other_scopes_and_a_root_path_go_to_the_router(setup: Any) -> None:
    app, endpoints, fallback = setup
    serve(app, "/acme/default/directory", root_path="/behind-a-proxy")
    asyncio.run(app({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert fallback.paths == ["/acme/default/directory", "lifespan"]
    assert not any(e.calls for e in endpoints.values())

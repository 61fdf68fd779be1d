"""The ACME edge's dispatch: the one route table finds every ACME path; an ACME path that is not
in it is an ACME 404; everything else goes to the router."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from acmehub.protocol.app import AcmeApp, Incoming
from acmehub.protocol.links import Route
from acmehub.services.context import ProfileMode

ACME, RA = ProfileMode.ACME_PROFILE, ProfileMode.RA_PROFILE


@dataclass
class RecordingEndpoint:
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    async def respond(self, route: Route, incoming: Incoming) -> tuple[int, dict[str, str], bytes]:
        body = b"".join([c async for c in incoming.chunks])
        self.calls.append(
            (
                (route.prefix, route.mode, route.link.value),
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
def setup() -> tuple[AcmeApp, RecordingEndpoint, Fallback]:
    endpoint = RecordingEndpoint()
    fallback = Fallback()
    return AcmeApp(endpoint, fallback), endpoint, fallback  # type: ignore[arg-type]


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
    app, endpoint, fallback = setup
    sent = serve(app, path)
    assert endpoint.calls == [
        (
            (prefix, mode, link),
            "POST",
            "application/jose+json",
            b'{"payload":""}',
            path,
            "",
            profile,
            object_id,
        )
    ]
    assert sent[0]["status"] == 201
    assert (b"content-length", b"2") in sent[0]["headers"]
    assert (b"replay-nonce", b"n") in sent[0]["headers"]
    assert sent[1] == {"type": "http.response.body", "body": b"{}"}
    assert fallback.paths == []


def test_a_profile_name_is_any_segment_the_services_then_judge(setup: Any) -> None:
    app, endpoint, _ = setup
    serve(app, "/acme/a b/order/x y")
    assert [c[0][2] for c in endpoint.calls] == ["order"]
    assert endpoint.calls[0][-2:] == ("a b", "x y")


@pytest.mark.parametrize(
    "path",
    [
        "/acme/default/directory/",  # trailing slash
        "/acme//directory",  # empty profile
        "/acme/default/order//finalize",  # empty id
        "/acme/default/nothing-here",
        "/acme/default",
        "/acme/raProfile/ra1",
        "/api/v1/protocols/acme/default/acct/1/orders/2",
    ],
)
def test_acme_paths_outside_the_table_are_acme_404s(setup: Any, path: str) -> None:
    app, endpoint, fallback = setup
    sent = serve(app, path)
    assert sent[0]["status"] == 404
    assert (b"content-type", b"application/problem+json") in sent[0]["headers"]
    assert b"urn:ietf:params:acme:error:" in sent[1]["body"]
    assert fallback.paths == []
    assert endpoint.calls == []


@pytest.mark.parametrize(
    "path", ["/acmex/default/directory", "/ui/", "/api/v1/acmeProfiles", "/crl/abc.crl", "/"]
)
def test_everything_else_goes_to_the_router(setup: Any, path: str) -> None:
    app, endpoint, fallback = setup
    serve(app, path)
    assert fallback.paths == [path]
    assert endpoint.calls == []


def test_other_scopes_go_to_the_router_and_a_root_path_is_taken_off(setup: Any) -> None:
    app, endpoint, fallback = setup
    serve(app, "/behind-a-proxy/acme/default/directory", root_path="/behind-a-proxy")
    asyncio.run(app({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert fallback.paths == ["lifespan"]
    assert [c[-4] for c in endpoint.calls] == ["/acme/default/directory"]

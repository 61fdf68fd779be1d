"""The ACME web front end: routes from the URL table, and the HTTP rituals in ONE place.

Every response, errors included, carries a fresh Replay-Nonce (RFC 8555 §6.5), a
Link rel="index" to the directory (§7.1) and Cache-Control: no-store; methods and content
types are checked here, before any handler runs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from acmehub.concurrency import run_sync
from acmehub.domain.errors import DomainError, ErrorKind, hidden_internal, internal_reference
from acmehub.protocol.handlers import (
    accounts,
    authorizations,
    certificates,
    directory,
    orders,
    renewal_info,
)
from acmehub.protocol.jwk import KeyCache
from acmehub.protocol.links import CRL_PATH, Link, Linker, Match, RouteTable
from acmehub.protocol.links import Route as LinkRoute
from acmehub.protocol.problems import acme_problem
from acmehub.protocol.request import AcmeRequest, Reply
from acmehub.services.container import Services
from acmehub.services.context import ProfileRef

log = logging.getLogger("acmehub.protocol")

JOSE_JSON = "application/jose+json"
PROBLEM_JSON = "application/problem+json"

Handler = Callable[[AcmeRequest], Reply]

#: Routes accept every method so that a wrong one gets our 405 problem document.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

#: Which handler serves which method of each resource.
HANDLERS: dict[Link, dict[str, Handler]] = {
    Link.DIRECTORY: {"GET": directory.directory},
    Link.NEW_NONCE: {"HEAD": directory.new_nonce_head, "GET": directory.new_nonce_get},
    Link.NEW_ACCOUNT: {"POST": accounts.new_account},
    Link.ACCOUNT: {"POST": accounts.account},
    Link.ACCOUNT_ORDERS: {"POST": accounts.orders},
    Link.KEY_CHANGE: {"POST": accounts.key_change},
    Link.NEW_ORDER: {"POST": orders.new_order},
    Link.ORDER: {"POST": orders.order},
    Link.FINALIZE: {"POST": orders.finalize},
    Link.AUTHZ: {"POST": authorizations.authorization},
    Link.NEW_AUTHZ: {"POST": authorizations.new_authz},
    Link.CHALLENGE: {"POST": authorizations.challenge},
    Link.CERT: {"POST": certificates.certificate},
    Link.CERT_ALTERNATE: {"POST": certificates.certificate},
    Link.REVOKE_CERT: {"POST": certificates.revoke},
    Link.RENEWAL_INFO: {"GET": renewal_info.renewal_info},
}


@dataclass(frozen=True)
class ProtocolSettings:
    base_url: str  # external base URL clients use, no trailing slash
    max_body_bytes: int = 64 * 1024


@dataclass(frozen=True)
class Incoming:
    """One ACME request as the edge hands it to its endpoint."""

    method: str
    content_type: str
    path: str
    query: str  # the raw query string, without "?"
    profile: str  # the ACME or RA profile name in the path
    object_id: str  # the {id} in the path, or ""
    chunks: AsyncIterator[bytes]  # the body, as it arrives


class AcmeEndpoint:
    """The ACME rituals around every handler, in one place.

    A request never leaves the event loop's thread: its handler runs in a greenlet
    (:func:`acmehub.concurrency.run_sync`) that storage suspends while it waits for the
    database, so other requests go on meanwhile; there is no thread pool.
    """

    def __init__(self, services: Services, settings: ProtocolSettings) -> None:
        self._services = services
        self._settings = settings
        self._keys = KeyCache()  # an account's key is parsed once

    async def respond(
        self, route: LinkRoute, incoming: Incoming
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of the answer to one request of ``route``."""
        method, query = incoming.method, incoming.query
        ref = ProfileRef(route.mode, incoming.profile)
        links = Linker(self._settings.base_url, ref, route.prefix)
        methods = HANDLERS[route.link]
        try:
            handler = methods.get(method)
            if handler is None:
                raise DomainError(
                    ErrorKind.METHOD_NOT_ALLOWED,
                    f"{method} is not allowed here; use {', '.join(methods)}",
                    headers={"Allow": ", ".join(methods)},
                )
            body = b""
            if method == "POST":
                body = await self._read_body(incoming.content_type, incoming.chunks)
            url = self._settings.base_url + incoming.path
            if query:
                url += "?" + query
            # Repeated parameters: the last one counts, as in Starlette's QueryParams.
            params = dict(parse_qsl(query, keep_blank_values=True))
            call = _Call(route.link, ref, links, url, body, incoming.object_id, params)
            reply = await run_sync(self._run, handler, call)
        except DomainError as exc:
            reply = await run_sync(self._problem, exc)
        return self._render(reply, links)

    async def _read_body(self, content_type: str, chunks: AsyncIterator[bytes]) -> bytes:
        if content_type.split(";")[0].strip().lower() != JOSE_JSON:
            # RFC 8555 §6.2: requests are application/jose+json; others get 415.
            raise DomainError(
                ErrorKind.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Type must be {JOSE_JSON}",
                status=415,
            )
        received: list[bytes] = []
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > self._settings.max_body_bytes:
                raise DomainError(
                    ErrorKind.MALFORMED,
                    f"request body is larger than {self._settings.max_body_bytes} bytes",
                    status=413,
                )
            received.append(chunk)
        return b"".join(received)

    def _run(self, handler: Handler, call: _Call) -> Reply:
        try:
            ctx = self._services.context(call.ref, directory=call.link is Link.DIRECTORY)
            reply = handler(
                AcmeRequest(
                    self._services,
                    ctx,
                    call.links,
                    call.url,
                    call.body,
                    call.object_id,
                    call.query,
                    self._keys,
                )
            )
        except DomainError as exc:
            return self._problem(exc)
        except Exception:
            reference = internal_reference()
            log.exception(
                "unhandled error on %s %s (reference %s)", call.link.value, call.url, reference
            )
            hidden = hidden_internal(reference).detail
            return self._problem(DomainError(ErrorKind.SERVER_INTERNAL, hidden))
        reply.headers["Replay-Nonce"] = self._services.deps.nonces.issue()
        return reply

    def _problem(self, exc: DomainError) -> Reply:
        status, doc = acme_problem(exc)
        headers = dict(exc.headers)
        headers["Replay-Nonce"] = self._services.deps.nonces.issue()
        return Reply(status=status, json=doc, content_type=PROBLEM_JSON, headers=headers)

    def _render(self, reply: Reply, links: Linker) -> tuple[int, dict[str, str], bytes]:
        headers = dict(reply.headers)
        index = f'<{links.url(Link.DIRECTORY)}>;rel="index"'
        headers["Link"] = f"{headers['Link']}, {index}" if "Link" in headers else index
        headers["Cache-Control"] = "no-store"
        if reply.json is not None:
            body = json.dumps(reply.json, separators=(",", ":")).encode()
            media = reply.content_type or "application/json"
        else:
            body, media = reply.body, reply.content_type or ""
        if media:
            headers["Content-Type"] = media
        return reply.status, headers, body


def _unmatched_problem() -> tuple[int, dict[str, str], bytes]:
    """A path under an ACME prefix that is not in the table: an ACME problem, not plain text."""
    status, doc = acme_problem(
        DomainError(ErrorKind.NOT_FOUND, "no such ACME resource", status=404)
    )
    headers = {"Content-Type": PROBLEM_JSON, "Cache-Control": "no-store"}
    return status, headers, json.dumps(doc).encode()


def crl_route(services: Services) -> BaseRoute:
    """The CRLs of the embedded authorities (not an ACME resource: a plain GET)."""

    async def crl(request: Request) -> Response:
        try:
            der = await run_sync(services.certificates.crl, request.path_params["authority"])
        except DomainError as exc:
            status, doc = acme_problem(exc)
            return Response(json.dumps(doc), status, media_type=PROBLEM_JSON)
        return Response(
            der, media_type="application/pkix-crl", headers={"Cache-Control": "max-age=60"}
        )

    return Route(CRL_PATH, crl, methods=["GET"])


@dataclass(frozen=True)
class _Call:
    """One request, parsed from its path and ready for its handler."""

    link: Link
    ref: ProfileRef
    links: Linker
    url: str
    body: bytes
    object_id: str
    query: dict[str, str]


class AcmeApp:
    """The ASGI application. Every request under an ACME prefix is dispatched by the one route
    table (:class:`~acmehub.protocol.links.RouteTable`, the table that builds the URLs) and
    answered with raw ASGI messages; a path under an ACME prefix that the table does not hold
    is an ACME 404. Everything else (the management API, the web interface, the CRLs, the
    lifespan) goes to ``fallback``, the Starlette application."""

    def __init__(self, endpoint: AcmeEndpoint, fallback: ASGIApp) -> None:
        self._endpoint = endpoint
        self._fallback = fallback
        self._table = RouteTable()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if self._table.prefix(path) is not None:
                await self._serve(self._table.match(path), path, scope, receive, send)
                return
        await self._fallback(scope, receive, send)

    async def _serve(
        self, found: Match | None, path: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if found is None:
            status, headers, body = _unmatched_problem()
        else:
            content_type = ""
            for name, value in scope["headers"]:
                if name == b"content-type":  # the first one counts
                    content_type = value.decode("latin-1")
                    break
            status, headers, body = await self._endpoint.respond(
                found.route,
                Incoming(
                    scope["method"],
                    content_type,
                    path,
                    scope.get("query_string", b"").decode("latin-1"),
                    found.profile,
                    found.object_id,
                    _body_chunks(receive),
                ),
            )
        raw = [(b"content-length", str(len(body)).encode("latin-1"))]
        raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


async def _body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as the ASGI server hands it over, chunk by chunk."""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away: nobody will read the answer
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


__all__: list[Any] = ["AcmeApp", "AcmeEndpoint", "ProtocolSettings", "crl_route"]

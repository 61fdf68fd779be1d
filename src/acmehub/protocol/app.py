"""The ACME web front end: routes from the URL table, and the HTTP rituals in ONE place.

Every response, errors included, carries a fresh Replay-Nonce (RFC 8555 §6.5), a
Link rel="index" to the directory (§7.1) and Cache-Control: no-store; methods and content
types are checked here, before any handler runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.handlers import accounts, authorizations, certificates, directory, orders
from acmehub.protocol.jws import KeyCache
from acmehub.protocol.links import CRL_PATH, PATHS, PREFIXES, Link, Linker, routes
from acmehub.protocol.links import Route as LinkRoute
from acmehub.protocol.problems import acme_problem
from acmehub.protocol.request import AcmeRequest, Reply
from acmehub.services.container import Services
from acmehub.services.context import ProfileMode, ProfileRef

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
    Link.CHALLENGE: {"POST": authorizations.challenge},
    Link.CERT: {"POST": certificates.certificate},
    Link.REVOKE_CERT: {"POST": certificates.revoke},
}


#: Resources whose POST-as-GET (RFC 8555 §6.3) only reads: their services open no write unit.
#: (An account's POST-as-GET is an update with nothing to change: it is not here.)
READ_ONLY_POST_AS_GET = frozenset(
    {Link.ORDER, Link.AUTHZ, Link.CHALLENGE, Link.CERT, Link.ACCOUNT_ORDERS}
)
#: Resources that only read whatever the request: the directory and new-nonce (§7.1, §7.2).
READ_ONLY = frozenset({Link.DIRECTORY, Link.NEW_NONCE})


@dataclass(frozen=True)
class ProtocolSettings:
    base_url: str  # external base URL clients use, no trailing slash
    max_body_bytes: int = 64 * 1024
    #: ACME requests handled at once (each in a worker thread); more wait in the pool's queue.
    request_threads: int = 8
    #: Serve read-only requests (directory, new-nonce, POST-as-GET of orders, authorizations,
    #: challenges and certificates) in the event loop itself, without the hop to a worker
    #: thread (docs/benchmarks.md). Only where nothing on that path can wait: the database is
    #: SQLite (a WAL reader never waits for the writer) and a used nonce is not written to it.
    inline_reads: bool = False


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


def _is_post_as_get(body: bytes) -> bool:
    """Whether a flattened JWS carries the empty payload of a POST-as-GET (RFC 8555 §6.3).
    Anything unexpected answers False: the request then takes the usual path, which judges it."""
    try:
        jws = json.loads(body)
    except ValueError:
        return False
    return isinstance(jws, dict) and jws.get("payload") == ""


class RequestThreads:
    """The threads ACME requests run in: at most ``total`` at once.

    Every thread of a process shares one GIL. With Starlette's default of 40 threads, a crowd of
    clients polling authorizations took the GIL from the validation threads whose results those
    polls wait for, and throughput fell as concurrency rose (docs/benchmarks.md). Requests beyond
    the limit wait, at no cost, in the pool's queue. A plain executor: the hop costs less than
    anyio's (no cancel scope, no capacity limiter).
    """

    def __init__(self, total: int) -> None:
        self._pool = ThreadPoolExecutor(total, thread_name_prefix="acmehub-acme")

    async def run(self, call: Callable[[], Reply]) -> Reply:
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)


class AcmeEndpoint:
    """One route of the URL table, wrapped in the ACME rituals."""

    def __init__(
        self,
        route: LinkRoute,
        services: Services,
        settings: ProtocolSettings,
        keys: KeyCache,
        threads: RequestThreads,
    ) -> None:
        self.route = route
        self._services = services
        self._settings = settings
        self._keys = keys
        self._threads = threads
        self._methods = HANDLERS[route.link]
        self._inline_always = settings.inline_reads and route.link in READ_ONLY
        self._inline = settings.inline_reads and route.link in READ_ONLY_POST_AS_GET

    async def handle(self, request: Request) -> Response:
        """The Starlette route: for the paths :class:`AcmeApp` leaves to the router."""
        status, headers, body = await self.respond(
            Incoming(
                request.method,
                request.headers.get("content-type", ""),
                request.url.path,
                request.url.query,
                request.path_params["profile"],
                request.path_params.get("id", ""),
                request.stream(),
            )
        )
        return Response(body, status_code=status, headers=headers)

    async def respond(self, incoming: Incoming) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of the answer to one request of this route."""
        method, query = incoming.method, incoming.query
        ref = ProfileRef(self.route.mode, incoming.profile)
        links = Linker(self._settings.base_url, ref, self.route.prefix)
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise DomainError(
                    ErrorKind.METHOD_NOT_ALLOWED,
                    f"{method} is not allowed here; use {', '.join(self._methods)}",
                    headers={"Allow": ", ".join(self._methods)},
                )
            body = b""
            if method == "POST":
                body = await self._read_body(incoming.content_type, incoming.chunks)
            url = self._settings.base_url + incoming.path
            if query:
                url += "?" + query
            # Repeated parameters: the last one counts, as in Starlette's QueryParams.
            params = dict(parse_qsl(query, keep_blank_values=True))
            call = partial(self._run, handler, ref, links, url, body, incoming.object_id, params)
            if self._inline_always or (self._inline and body and _is_post_as_get(body)):
                reply = call()  # a few reads: cheaper here than the thread hop
            else:
                reply = await self._threads.run(call)
        except DomainError as exc:
            reply = await self._threads.run(partial(self._problem, exc))
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

    def _run(
        self,
        handler: Handler,
        ref: ProfileRef,
        links: Linker,
        url: str,
        body: bytes,
        object_id: str,
        query: dict[str, str],
    ) -> Reply:
        try:
            ctx = self._services.context(ref, directory=self.route.link is Link.DIRECTORY)
            reply = handler(
                AcmeRequest(self._services, ctx, links, url, body, object_id, query, self._keys)
            )
        except DomainError as exc:
            return self._problem(exc)
        except Exception:
            log.exception("unhandled error on %s %s", self.route.link.value, url)
            return self._problem(DomainError(ErrorKind.SERVER_INTERNAL, "internal server error"))
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


async def unmatched_acme_path(request: Request) -> Response:
    """A path under an ACME prefix that no route matches: an ACME problem, not plain text."""
    status, doc = acme_problem(
        DomainError(ErrorKind.NOT_FOUND, "no such ACME resource", status=404)
    )
    return Response(
        json.dumps(doc), status, media_type=PROBLEM_JSON, headers={"Cache-Control": "no-store"}
    )


def crl_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def crl(request: Request) -> Response:
        try:
            der = await run_in_threadpool(
                services.certificates.crl, request.path_params["authority"]
            )
        except DomainError as exc:
            status, doc = acme_problem(exc)
            return Response(json.dumps(doc), status, media_type=PROBLEM_JSON)
        return Response(
            der, media_type="application/pkix-crl", headers={"Cache-Control": "max-age=60"}
        )

    return crl


def acme_endpoints(services: Services, settings: ProtocolSettings) -> list[AcmeEndpoint]:
    """One endpoint per route of the URL table, sharing the key cache and the threads."""
    keys = KeyCache()  # an account's key is parsed once
    threads = RequestThreads(settings.request_threads)
    return [AcmeEndpoint(r, services, settings, keys, threads) for r in routes()]


def acme_routes(endpoints: list[AcmeEndpoint], services: Services) -> list[BaseRoute]:
    """The same endpoints as Starlette routes (what :class:`AcmeApp` leaves to the router),
    and the CRLs."""
    result: list[BaseRoute] = [
        Route(e.route.template, e.handle, methods=ALL_METHODS) for e in endpoints
    ]
    result.append(Route(CRL_PATH, crl_endpoint(services), methods=["GET"]))
    return result


#: Path segments the fast path takes as a profile name or an object id; anything else (empty,
#: escaped, unusual) is left to the router, which treats it as it always did.
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


class AcmeApp:
    """The ASGI application: a request whose path is exactly one of the URL table's goes
    straight to its endpoint, found by a dictionary lookup and answered with raw ASGI messages;
    every other request, and every other kind of scope, goes to ``fallback`` (the Starlette
    application, which also holds the same endpoints as routes). A request to an ACME server
    is mostly this edge: Starlette's router tried up to 52 path patterns per request, and its
    Request and Response objects cost more than the work of a POST-as-GET."""

    def __init__(self, endpoints: list[AcmeEndpoint], fallback: ASGIApp) -> None:
        self._fallback = fallback
        self._table: dict[tuple[str, ProfileMode, tuple[str, ...]], AcmeEndpoint] = {}
        for endpoint in endpoints:
            route = endpoint.route
            shape = tuple(PATHS[route.link].strip("/").split("/"))
            self._table[(route.prefix, route.mode, shape)] = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self._match(scope["path"])
            if found is not None:
                await self._serve(*found, scope, receive, send)
                return
        await self._fallback(scope, receive, send)

    def _match(self, path: str) -> tuple[AcmeEndpoint, str, str] | None:
        for prefix in PREFIXES:
            if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] == "/":
                parts = path[len(prefix) + 1 :].split("/")
                break
        else:
            return None
        # The RA family first, as the router tries it ("raProfile" is no ACME profile name).
        for mode, profile, tail in (
            (ProfileMode.RA_PROFILE, parts[1] if len(parts) > 2 else "", parts[2:]),
            (ProfileMode.ACME_PROFILE, parts[0], parts[1:]),
        ):
            if mode is ProfileMode.RA_PROFILE and parts[0] != "raProfile":
                continue
            object_id = tail[1] if len(tail) > 1 else ""
            shape = (tail[0], "{id}", *tail[2:]) if object_id else tuple(tail)
            endpoint = self._table.get((prefix, mode, shape))
            if endpoint is not None:
                if not _PLAIN_SEGMENT.fullmatch(profile) or (
                    object_id and not _PLAIN_SEGMENT.fullmatch(object_id)
                ):
                    return None
                return endpoint, profile, object_id
        return None

    @staticmethod
    async def _serve(
        endpoint: AcmeEndpoint,
        profile: str,
        object_id: str,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        content_type = ""
        for name, value in scope["headers"]:
            if name == b"content-type":  # the first one, as Starlette's Headers.get reads it
                content_type = value.decode("latin-1")
                break
        status, headers, body = await endpoint.respond(
            Incoming(
                scope["method"],
                content_type,
                scope["path"],
                scope.get("query_string", b"").decode("latin-1"),
                profile,
                object_id,
                _body_chunks(receive),
            )
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


__all__: list[Any] = ["AcmeApp", "ProtocolSettings", "acme_endpoints", "acme_routes"]

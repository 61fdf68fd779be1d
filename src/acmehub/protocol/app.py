"""The ACME web front end: routes from the URL table, and the HTTP rituals in ONE place.

Every response, errors included, carries a fresh Replay-Nonce (RFC 8555 §6.5), a
Link rel="index" to the directory (§7.1) and Cache-Control: no-store; methods and content
types are checked here, before any handler runs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from anyio import CapacityLimiter, to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.handlers import accounts, authorizations, certificates, directory, orders
from acmehub.protocol.jws import KeyCache
from acmehub.protocol.links import CRL_PATH, Link, Linker, routes
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
    Link.CHALLENGE: {"POST": authorizations.challenge},
    Link.CERT: {"POST": certificates.certificate},
    Link.REVOKE_CERT: {"POST": certificates.revoke},
}


#: Resources whose POST-as-GET (RFC 8555 §6.3) only reads: their services open no write unit.
#: (An account's POST-as-GET is an update with nothing to change: it is not here.)
READ_ONLY_POST_AS_GET = frozenset(
    {Link.ORDER, Link.AUTHZ, Link.CHALLENGE, Link.CERT, Link.ACCOUNT_ORDERS}
)


@dataclass(frozen=True)
class ProtocolSettings:
    base_url: str  # external base URL clients use, no trailing slash
    max_body_bytes: int = 64 * 1024
    #: ACME requests handled at once (each in a worker thread); more wait in the event loop.
    request_threads: int = 8
    #: Serve read-only POST-as-GET requests in the event loop itself, without the hop to a
    #: worker thread. Only where nothing on that path can wait: the database is SQLite
    #: (a WAL reader never waits for the writer) and a used nonce is not written to it.
    inline_reads: bool = False


def _is_post_as_get(body: bytes) -> bool:
    """Whether a flattened JWS carries the empty payload of a POST-as-GET (RFC 8555 §6.3).
    Anything unexpected answers False: the request then takes the usual path, which judges it."""
    try:
        jws = json.loads(body)
    except ValueError:
        return False
    return isinstance(jws, dict) and jws.get("payload") == ""


class RequestThreads:
    """How many ACME requests run at once in worker threads.

    Every thread of a process shares one GIL. With Starlette's default of 40 threads, a crowd of
    clients polling authorizations took the GIL from the validation threads whose results those
    polls wait for, and throughput fell as concurrency rose (docs/benchmarks.md). Requests beyond
    the limit wait, at no cost, in the event loop.
    """

    def __init__(self, total: int) -> None:
        self._total = total
        self._limiter: CapacityLimiter | None = None

    def limiter(self) -> CapacityLimiter:
        if self._limiter is None:  # made inside the event loop, on the first request
            self._limiter = CapacityLimiter(self._total)
        return self._limiter


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
        self._route = route
        self._services = services
        self._settings = settings
        self._keys = keys
        self._threads = threads
        self._methods = HANDLERS[route.link]
        self._inline = settings.inline_reads and route.link in READ_ONLY_POST_AS_GET

    async def handle(self, request: Request) -> Response:
        ref = ProfileRef(self._route.mode, request.path_params["profile"])
        links = Linker(self._settings.base_url, ref, self._route.prefix)
        try:
            handler = self._methods.get(request.method)
            if handler is None:
                raise DomainError(
                    ErrorKind.METHOD_NOT_ALLOWED,
                    f"{request.method} is not allowed here; use {', '.join(self._methods)}",
                    headers={"Allow": ", ".join(self._methods)},
                )
            body = b""
            if request.method == "POST":
                body = await self._read_body(request)
            url = self._settings.base_url + request.url.path
            if request.url.query:
                url += "?" + request.url.query
            args = (
                handler,
                ref,
                links,
                url,
                body,
                request.path_params.get("id", ""),
                dict(request.query_params),
            )
            if self._inline and body and _is_post_as_get(body):
                reply = self._run(*args)  # a few reads: cheaper here than the thread hop
            else:
                reply = await to_thread.run_sync(self._run, *args, limiter=self._threads.limiter())
        except DomainError as exc:
            reply = await run_in_threadpool(self._problem, exc)
        return self._render(reply, links)

    async def _read_body(self, request: Request) -> bytes:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != JOSE_JSON:
            # RFC 8555 §6.2: requests are application/jose+json; others get 415.
            raise DomainError(
                ErrorKind.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Type must be {JOSE_JSON}",
                status=415,
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._settings.max_body_bytes:
                raise DomainError(
                    ErrorKind.MALFORMED,
                    f"request body is larger than {self._settings.max_body_bytes} bytes",
                    status=413,
                )
            chunks.append(chunk)
        return b"".join(chunks)

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
            ctx = self._services.context(ref, directory=self._route.link is Link.DIRECTORY)
            reply = handler(
                AcmeRequest(self._services, ctx, links, url, body, object_id, query, self._keys)
            )
        except DomainError as exc:
            return self._problem(exc)
        except Exception:
            log.exception("unhandled error on %s %s", self._route.link.value, url)
            return self._problem(DomainError(ErrorKind.SERVER_INTERNAL, "internal server error"))
        reply.headers["Replay-Nonce"] = self._services.deps.nonces.issue()
        return reply

    def _problem(self, exc: DomainError) -> Reply:
        status, doc = acme_problem(exc)
        headers = dict(exc.headers)
        headers["Replay-Nonce"] = self._services.deps.nonces.issue()
        return Reply(status=status, json=doc, content_type=PROBLEM_JSON, headers=headers)

    def _render(self, reply: Reply, links: Linker) -> Response:
        headers = dict(reply.headers)
        index = f'<{links.url(Link.DIRECTORY)}>;rel="index"'
        headers["Link"] = f"{headers['Link']}, {index}" if "Link" in headers else index
        headers["Cache-Control"] = "no-store"
        if reply.json is not None:
            body = json.dumps(reply.json, separators=(",", ":")).encode()
            media = reply.content_type or "application/json"
        else:
            body, media = reply.body, reply.content_type or ""
        response = Response(body, status_code=reply.status, headers=headers)
        if media:
            response.headers["Content-Type"] = media
        return response


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


def acme_routes(services: Services, settings: ProtocolSettings) -> list[BaseRoute]:
    keys = KeyCache()  # shared by every route: an account's key is parsed once
    threads = RequestThreads(settings.request_threads)
    result: list[BaseRoute] = [
        Route(
            r.template,
            AcmeEndpoint(r, services, settings, keys, threads).handle,
            methods=ALL_METHODS,
        )
        for r in routes()
    ]
    result.append(Route(CRL_PATH, crl_endpoint(services), methods=["GET"]))
    return result


__all__: list[Any] = ["ProtocolSettings", "acme_routes"]

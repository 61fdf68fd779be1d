"""The http-01 checker (RFC 8555 §8.3).

What it does, and the choices made where the RFC leaves room:

* It GETs ``http://{name}:{http01_port}/.well-known/acme-challenge/{token}`` (RFC 8555 §8.3;
  the port is 80 unless configured). Names are resolved through *our* resolver
  (:mod:`acmehub.validation.resolver`), never the operating system's: the request goes to the
  resolved address, with ``Host: {name}`` (and the SNI name for https redirect targets).
* Addresses: the first address of the preferred family (IPv6 unless configured otherwise) and then
  the first of the other family, as Let's Encrypt does. The second one is tried only when the TCP
  connection (or TLS handshake) cannot be set up; once a server answers, its answer is final.
* Where it connects (issue 15): every address, resolved or a literal IP in a URL, is screened
  by :mod:`acmehub.validation.address_policy` before anything connects to it, and the
  connection goes to that very address (numeric, no second lookup), for the first request and
  for every redirect. A name with no acceptable address fails with ``dns``, a literal one with
  ``connection``; each says which address was refused and why.
* Redirects (RFC 8555 §8.3 lets the server follow them): 301, 302, 307 and 308 with a Location
  are followed (not 303, which asks for a different resource, nor 300 or 305), at most
  ``max_redirects`` times, only to http or https URLs on ports 80 or 443 -- or the configured
  ``http01_port``/``tlsalpn01_port``, so that deployments and tests on unprivileged ports work.
  Each target host is resolved through our resolver again and screened again; https targets are
  not certificate-checked (the name is not proved yet; Let's Encrypt does the same).
* The request runs in the caller's event loop: asyncio streams (TLS through the ssl module for
  https targets), the answer parsed by httptools, uvicorn's C parser. Per GET that costs about a
  quarter of the CPU of aiohttp and a tenth of httpx's async client (measured on loopback).
* Bodies are read as a stream and never beyond ``max_http_body_bytes`` (a non-200 body never
  beyond 32 bytes); every network step is bounded by ``timeout``, and reading a body as a
  whole too. A problem detail names the URL, the address and the HTTP status, and quotes at
  most 32 bytes of a body, escaped: whatever answered may be a service on the CA's network.
  We ask for ``identity`` encoding and compare raw bytes.
* The body must equal the key authorization once trailing whitespace is stripped (RFC 8555 §8.3:
  the server SHOULD ignore whitespace characters at the end of the body).

Problem types (RFC 8555 §6.7):

* ``dns``: the name (or a redirect target) does not resolve.
* ``connection``: no connection, a timeout, a broken or non-HTTP answer, a TLS failure on an
  https redirect target, or a redirect we refuse to follow (bad scheme, port, host, too many).
* ``unauthorized``: the final answer is not HTTP 200 (404 included, as in Boulder).
* ``incorrectResponse``: HTTP 200 whose body is not the key authorization, or is too large.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from dataclasses import dataclass

import httpx

from acmehub.domain.errors import ErrorKind
from acmehub.validation.address_policy import AddressPolicy, screen
from acmehub.validation.common import (
    CheckContext,
    IPAddress,
    host_port,
    literal_address,
    order_addresses,
    quote,
)
from acmehub.validation.http_response import (
    ConnectFailedError,
    ProtocolError,
    ResponseReader,
    describe,
    header_text,
)
from acmehub.validation.resolver import DnsLookupError, dns_failure, lookup_addresses
from acmehub.validation.settings import VaSettings

#: RFC 8555 §8.3: the token is base64url; anything else must not reach a URL path.
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\Z")
#: Host names acceptable in a redirect target (letters, digits, hyphen, underscore, dots).
_HOSTNAME = re.compile(
    r"(?=.{1,253}\.?\Z)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
    r"(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?\Z",
    re.IGNORECASE,
)
#: Redirects followed (issue 15, as Let's Encrypt): 303 See Other points elsewhere on purpose.
_REDIRECT_STATUSES = frozenset({301, 302, 307, 308})
#: Bytes of a body read for a non-200 answer, and quoted (escaped) in any problem detail.
SNIPPET_BYTES = 32


@dataclass(frozen=True)
class _Answer:
    status: int
    location: str | None
    body: bytes
    truncated: bool
    peer: str  # "address:port" that answered


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _host_header(url: httpx.URL) -> str:
    """Host header for ``url`` (RFC 9110 §7.2): the name, and the port unless the default."""
    host = url.raw_host.decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{url.port}" if url.port is not None else host


class Http01Checker:
    """Checks one http-01 challenge; raises ChallengeError when it is not met."""

    def __init__(self, settings: VaSettings) -> None:
        self._settings = settings
        self._policy = AddressPolicy(settings.allowed_networks, settings.own_listeners)
        # https redirect targets are not verified (see module docstring); TLS 1.2+ only.
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._tls.check_hostname = False
        self._tls.verify_mode = ssl.CERT_NONE
        self._tls.minimum_version = ssl.TLSVersion.TLSv1_2
        self._headers = (
            f"User-Agent: {settings.user_agent}\r\n"
            "Accept: */*\r\n"
            "Accept-Encoding: identity\r\n"
            "Connection: close\r\n"
        ).encode("latin-1")

    async def check(self, ctx: CheckContext) -> None:
        task = ctx.task
        if task.identifier.type not in ("dns", "ip"):
            raise ctx.fail(
                ErrorKind.UNSUPPORTED_IDENTIFIER, "http-01 validates DNS names and IP addresses"
            )
        if task.identifier.is_wildcard:
            # Wildcard names are proved with dns-01 only; the RA never sends this task.
            raise ctx.fail(ErrorKind.UNAUTHORIZED, "http-01 cannot validate a wildcard name")
        if not _TOKEN.match(task.token):
            raise ctx.fail(ErrorKind.MALFORMED, "The challenge token is not base64url")
        name = task.identifier.value
        if task.identifier.type == "ip" and ":" in name:
            # RFC 8738 §4: the URL (and so the Host header) carries the address itself; an
            # IPv6 address in brackets (RFC 3986 §3.2.2).
            name = f"[{name}]"
        port = self._settings.http01_port
        try:
            url = httpx.URL(f"http://{name}:{port}/.well-known/acme-challenge/{task.token}")
        except httpx.InvalidURL as exc:
            raise ctx.fail(ErrorKind.MALFORMED, f"{quote(name)} cannot be used in a URL") from exc
        first_url = url
        redirects = 0
        while True:
            answer = await self._fetch(ctx, url)
            if answer.status in _REDIRECT_STATUSES and answer.location is not None:
                if redirects >= self._settings.max_redirects:
                    raise ctx.fail(
                        ErrorKind.CONNECTION,
                        f"Fetching {first_url}: too many redirects"
                        f" (more than {self._settings.max_redirects}); last one from {url}",
                    )
                redirects += 1
                url = self._redirect_target(ctx, url, answer.location)
                continue
            break
        self._judge(ctx, url, answer)

    # ------------------------------------------------------------------ steps

    async def _fetch(self, ctx: CheckContext, url: httpx.URL) -> _Answer:
        """GET ``url`` at its addresses from our resolver, in order, until one connects."""
        host = url.raw_host.decode("ascii")
        port = url.port if url.port is not None else _default_port(url.scheme)
        addresses: list[IPAddress]
        literal = literal_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = await lookup_addresses(ctx, host)
            except DnsLookupError as exc:
                ctx.note(f"GET {url}: {exc.detail}")
                raise dns_failure(ctx.task, exc) from exc
        addresses = screen(
            ctx,
            self._policy,
            addresses,
            port,
            what=f"Fetching {url}",
            resolved=literal is None,
        )
        failures: list[str] = []
        for address in order_addresses(addresses, self._settings.prefer_ipv6):
            peer = host_port(address, port)
            ctx.note(f"GET {url} at {peer}")
            step = ctx.step_timeout()
            try:
                return await self._get(url, literal is None, address, port, peer, step)
            except ConnectFailedError as exc:
                # Could not connect: the other address family may work.
                failures.append(f"{peer}: {describe(exc)}")
            except TimeoutError as exc:
                raise ctx.fail(
                    ErrorKind.CONNECTION,
                    f"Fetching {url} ({peer}): timeout after connect"
                    f" (no complete answer within {step:g}s)",
                ) from exc
            except (OSError, ProtocolError) as exc:
                raise ctx.fail(
                    ErrorKind.CONNECTION, f"Fetching {url} ({peer}): {describe(exc)}"
                ) from exc
        raise ctx.fail(
            ErrorKind.CONNECTION,
            f"Fetching {url}: could not connect ({'; '.join(failures)})",
        )

    async def _get(
        self,
        url: httpx.URL,
        by_name: bool,
        address: IPAddress,
        port: int,
        peer: str,
        step: float,
    ) -> _Answer:
        """One GET over a connection of its own; ``step`` bounds the connect (with the TLS
        handshake), each read, and reading the body as a whole."""
        https = url.scheme == "https"
        try:
            # Connect to the address we resolved; the name goes in Host (and SNI for https).
            async with asyncio.timeout(step):
                reader, writer = await asyncio.open_connection(
                    str(address),
                    port,
                    ssl=self._tls if https else None,
                    server_hostname=url.raw_host.decode("ascii") if https and by_name else None,
                    ssl_handshake_timeout=step + 1 if https else None,
                    flags=socket.AI_NUMERICHOST,  # the screened address itself: no lookup
                )
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            raise ConnectFailedError(describe(exc)) from exc
        try:
            writer.write(
                b"GET "
                + url.raw_path
                + b" HTTP/1.1\r\nHost: "
                + _host_header(url).encode("ascii")
                + b"\r\n"
                + self._headers
                + b"\r\n"
            )
            response = ResponseReader()
            body_deadline: float | None = None
            limit = self._settings.max_http_body_bytes
            while not response.done:
                wait = step
                if body_deadline is not None:
                    wait = min(step, body_deadline - time.monotonic())
                    if wait <= 0:
                        raise TimeoutError
                async with asyncio.timeout(wait):
                    data = await reader.read(65536)
                if not data:
                    if response.head_done and not response.framed:
                        break  # the body ends with the connection (RFC 9112 §6.3)
                    raise ProtocolError(
                        "the server closed the connection before the answer was complete"
                    )
                response.feed(data)
                if response.head_done and body_deadline is None:
                    status = response.status
                    if status in _REDIRECT_STATUSES:
                        location = response.location
                        return _Answer(
                            status,
                            None if location is None else header_text(location),
                            b"",
                            False,
                            peer,
                        )
                    limit = self._settings.max_http_body_bytes if status == 200 else SNIPPET_BYTES
                    body_deadline = time.monotonic() + step
                if len(response.body) > limit:
                    return _Answer(response.status, None, bytes(response.body[:limit]), True, peer)
            return _Answer(response.status, None, bytes(response.body), False, peer)
        finally:
            if https:
                writer.transport.abort()  # no close_notify exchange to wait for
            else:
                writer.close()

    def _redirect_target(self, ctx: CheckContext, current: httpx.URL, location: str) -> httpx.URL:
        """The URL a redirect points to, if we may follow it (see the module docstring)."""
        try:
            target = current.join(location)
        except httpx.InvalidURL as exc:
            raise ctx.fail(
                ErrorKind.CONNECTION,
                f"{current} redirected to an invalid URL {quote(location, 200)}",
            ) from exc
        if target.scheme not in ("http", "https"):
            raise ctx.fail(
                ErrorKind.CONNECTION,
                f"{current} redirected to {quote(location, 200)}: only http and https redirects"
                " are followed",
            )
        port = target.port if target.port is not None else _default_port(target.scheme)
        allowed = self._settings.redirect_ports
        if port not in allowed:
            ports = ", ".join(str(p) for p in sorted(allowed))
            raise ctx.fail(
                ErrorKind.CONNECTION,
                f"{current} redirected to {quote(location, 200)}: port {port} is not allowed"
                f" (only {ports})",
            )
        host = target.raw_host.decode("ascii", errors="replace")
        if literal_address(host) is None and not _HOSTNAME.match(host):
            raise ctx.fail(
                ErrorKind.CONNECTION,
                f"{current} redirected to {quote(location, 200)}: invalid host name",
            )
        # Credentials and fragments are not part of what we fetch.
        return httpx.URL(
            scheme=target.scheme, host=host, port=target.port, raw_path=target.raw_path
        )

    def _judge(self, ctx: CheckContext, url: httpx.URL, answer: _Answer) -> None:
        where = f"{url} ({answer.peer})"
        if answer.status != 200:
            body = answer.body
            seen = f", body {_snippet(body, answer.truncated)}" if body.strip() else ""
            note = ""
            if 300 <= answer.status < 400:
                note = " (only 301, 302, 307 and 308 redirects with a Location are followed)"
            raise ctx.fail(
                ErrorKind.UNAUTHORIZED,
                f"Invalid response from {where}: HTTP {answer.status}{note}{seen}",
            )
        if answer.truncated:
            raise ctx.fail(
                ErrorKind.INCORRECT_RESPONSE,
                f"The response from {where} is larger than"
                f" {self._settings.max_http_body_bytes} bytes; it starts with"
                f" {_snippet(answer.body)}",
            )
        # RFC 8555 §8.3: ignore whitespace characters at the end of the body.
        key_authorization = ctx.task.key_authorization
        if answer.body.rstrip() != key_authorization.encode("utf-8"):
            raise ctx.fail(
                ErrorKind.INCORRECT_RESPONSE,
                f"The key authorization file from {where} does not match this challenge:"
                f" expected {quote(key_authorization, 100)}, got {_snippet(answer.body)}",
            )


def _snippet(body: bytes, truncated: bool = False) -> str:
    """At most :data:`SNIPPET_BYTES` of an answer's body, escaped, for a problem detail."""
    text = repr(body[:SNIPPET_BYTES])[1:]  # b'...' -> '...': every non-ASCII byte escaped
    return text + (" (truncated)" if truncated or len(body) > SNIPPET_BYTES else "")

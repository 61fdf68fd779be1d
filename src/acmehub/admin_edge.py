"""ASGI middleware in front of the administrative apps (management API and web interface).

The composition root wraps each of them (bootstrap.create_app); they run before any route,
body parsing or authentication:

* :class:`BodyLimit` refuses a request body larger than a cap (1 MiB) with 413: at once when
  its Content-Length says so, otherwise (chunked) as soon as the bytes read pass the cap. A body
  within the cap is read first and handed to the app unchanged, so no app ever holds more.
* :class:`ClientAddress` puts the real client address in ``scope["client"]``: the socket's peer,
  or, when that peer is a trusted proxy (setting ``trusted_proxies``), the address the proxy
  names in ``Forwarded`` (RFC 7239 §5.2) or else ``X-Forwarded-For``. Every later reader
  (audit of sign-ins and token uses, the sign-in throttle) sees only this address.

The ACME protocol side has a body limit of its own (protocol/app.py, ``max_body_bytes``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_ADMIN_BODY = 1024 * 1024

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BodyLimit:
    """413 for a body over ``max_bytes``; ``refusal(max_bytes)`` is the app that answers."""

    def __init__(
        self, app: ASGIApp, refusal: Callable[[int], ASGIApp], max_bytes: int = MAX_ADMIN_BODY
    ) -> None:
        self._app = app
        self._refusal = refusal
        self._max = max_bytes
        # Mount builds URLs (url_for) through its app's routes: the wrapped app's.
        self.routes = getattr(app, "routes", [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if _declared_length(scope) > self._max:
            await self._refusal(self._max)(scope, receive, send)  # nothing of the body read
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break  # http.disconnect: the app sees it in turn
            size += len(message.get("body", b""))
            if size > self._max:
                await self._refusal(self._max)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self._app(scope, replay, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the server refuses a malformed length before we run
    return 0


def parse_networks(values: Iterable[str]) -> tuple[IpNetwork, ...]:
    """IP addresses and CIDR blocks; raises ValueError naming a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR block") from None
    return tuple(networks)


class ClientAddress:
    """Replace ``scope["client"]`` by the real client address (see the module's docstring)."""

    def __init__(self, app: ASGIApp, trusted_proxies: Iterable[str] = ()) -> None:
        self._app = app
        self._trusted = parse_networks(trusted_proxies)
        self.routes = getattr(app, "routes", [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._trusted:
            client = scope.get("client")
            peer = client[0] if client else ""
            real = real_client_address(peer, _proxy_hops(scope), self._trusted)
            if real != peer:
                scope = {**scope, "client": (real, 0)}
        await self._app(scope, receive, send)


def real_client_address(peer: str, hops: list[str], trusted: tuple[IpNetwork, ...]) -> str:
    """Walk the proxies' claims from the nearest (rightmost) on: each hop is believed only when
    the one who reported it is trusted; the first address not trusted is the client."""
    current = peer
    for hop in reversed(hops):
        if not _is_trusted(current, trusted):
            break
        address = _ip(hop)
        if address is None:
            break  # "unknown", an obfuscated name or garbage: keep the last proxy's address
        current = str(address)
    return current


def _is_trusted(address: str, trusted: tuple[IpNetwork, ...]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in network for network in trusted)


def _ip(value: str) -> IpAddress | None:
    value = value.strip().strip('"')
    if value.startswith("["):  # RFC 7239 §6: "[2001:db8::1]:4711"
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # "192.0.2.1:4711"
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _proxy_hops(scope: Scope) -> list[str]:
    """The addresses the proxies report, client first: ``Forwarded``'s for= parameters when
    that header is present (RFC 7239 §4, §5.2), else ``X-Forwarded-For``."""
    forwarded: list[str] = []
    x_forwarded: list[str] = []
    headers: Any = scope.get("headers", ())
    for name, value in headers:
        if name == b"forwarded":
            forwarded.append(value.decode("latin-1"))
        elif name == b"x-forwarded-for":
            x_forwarded.append(value.decode("latin-1"))
    if forwarded:
        hops = []
        for element in ",".join(forwarded).split(","):
            found = ""
            for pair in element.split(";"):
                key, _, val = pair.strip().partition("=")
                if key.lower() == "for":
                    found = val
            hops.append(found)
        return hops
    return [hop for hop in ",".join(x_forwarded).split(",") if hop.strip()]

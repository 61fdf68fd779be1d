"""The ONE URL table: it registers every ACME route and builds every URL handed to clients.

Two families (platform-reference.md): ``/acme/{acmeProfileName}/...`` and
``/acme/raProfile/{raProfileName}/...``; both also live under ``/api/v1/protocols/acme/``
for clients configured with the platform's own URL form. Handlers never format URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acmehub.services.context import ProfileMode, ProfileRef


class Link(StrEnum):
    DIRECTORY = "directory"
    NEW_NONCE = "newNonce"
    NEW_ACCOUNT = "newAccount"
    NEW_ORDER = "newOrder"
    REVOKE_CERT = "revokeCert"
    KEY_CHANGE = "keyChange"
    ACCOUNT = "account"
    ACCOUNT_ORDERS = "accountOrders"
    ORDER = "order"
    FINALIZE = "finalize"
    AUTHZ = "authz"
    CHALLENGE = "challenge"
    CERT = "cert"


#: Path of each resource below a family's root. ``{id}`` is the object's protocol id.
PATHS: dict[Link, str] = {
    Link.DIRECTORY: "/directory",
    Link.NEW_NONCE: "/new-nonce",
    Link.NEW_ACCOUNT: "/new-account",
    Link.NEW_ORDER: "/new-order",
    Link.REVOKE_CERT: "/revoke-cert",
    Link.KEY_CHANGE: "/key-change",
    Link.ACCOUNT: "/acct/{id}",
    Link.ACCOUNT_ORDERS: "/acct/{id}/orders",
    Link.ORDER: "/order/{id}",
    Link.FINALIZE: "/order/{id}/finalize",
    Link.AUTHZ: "/authz/{id}",
    Link.CHALLENGE: "/chall/{id}",
    Link.CERT: "/cert/{id}",
}

#: Directory members (RFC 8555 §7.1.1) and the resources they name.
DIRECTORY_MEMBERS = (
    Link.NEW_NONCE,
    Link.NEW_ACCOUNT,
    Link.NEW_ORDER,
    Link.REVOKE_CERT,
    Link.KEY_CHANGE,
)

PREFIXES = ("/acme", "/api/v1/protocols/acme")
CRL_PATH = "/crl/{authority}.crl"

#: Starlette path templates of each family's root, in matching order (RA family first so that
#: "raProfile" is never taken for an ACME profile name; the name is reserved anyway).
FAMILY_TEMPLATES: tuple[tuple[ProfileMode, str], ...] = (
    (ProfileMode.RA_PROFILE, "/raProfile/{profile}"),
    (ProfileMode.ACME_PROFILE, "/{profile}"),
)


@dataclass(frozen=True)
class Route:
    link: Link
    mode: ProfileMode
    prefix: str
    template: str  # Starlette path template with {profile} and, maybe, {id}


def routes() -> list[Route]:
    return [
        Route(link, mode, prefix, prefix + family + path)
        for prefix in PREFIXES
        for mode, family in FAMILY_TEMPLATES
        for link, path in PATHS.items()
    ]


@dataclass(frozen=True)
class Match:
    """A path of the table: its route, the profile name and the object id (or "")."""

    route: Route
    profile: str
    object_id: str


class RouteTable:
    """Finds the route of a request path: the dispatcher of every ACME request.

    Built from :func:`routes` (the same entries :class:`Linker` builds URLs from): a path is
    split once and its shape looked up in a dictionary. A segment is anything but "/" and
    never empty, as in a path template; what a name may contain is the services' business.
    """

    def __init__(self) -> None:
        self._by_shape: dict[tuple[str, ProfileMode, tuple[str, ...]], Route] = {}
        for route in routes():
            shape = tuple(PATHS[route.link].strip("/").split("/"))
            self._by_shape[(route.prefix, route.mode, shape)] = route

    @staticmethod
    def prefix(path: str) -> str | None:
        """The ACME prefix ``path`` lives under, or None: not ours to answer."""
        for prefix in PREFIXES:
            if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] == "/":
                return prefix
        return None

    def match(self, path: str) -> Match | None:
        prefix = self.prefix(path)
        if prefix is None:
            return None
        parts = path[len(prefix) + 1 :].split("/")
        if "" in parts:
            return None
        # The RA family first: "raProfile" is never taken for an ACME profile name.
        if parts[0] == "raProfile" and len(parts) > 2:
            found = self._find(prefix, ProfileMode.RA_PROFILE, parts[1], parts[2:])
            if found is not None:
                return found
        return self._find(prefix, ProfileMode.ACME_PROFILE, parts[0], parts[1:])

    def _find(self, prefix: str, mode: ProfileMode, profile: str, tail: list[str]) -> Match | None:
        if not tail:
            return None
        object_id = tail[1] if len(tail) > 1 else ""
        shape = (tail[0], "{id}", *tail[2:]) if object_id else tuple(tail)
        route = self._by_shape.get((prefix, mode, shape))
        return None if route is None else Match(route, profile, object_id)


@dataclass(frozen=True)
class Linker:
    """Builds absolute URLs for one request's profile, family and prefix."""

    base_url: str  # external base URL, no trailing slash
    ref: ProfileRef
    prefix: str = PREFIXES[0]

    def root(self, prefix: str | None = None) -> str:
        family = "/raProfile/" if self.ref.mode is ProfileMode.RA_PROFILE else "/"
        return f"{self.base_url}{prefix or self.prefix}{family}{self.ref.name}"

    def url(self, link: Link, object_id: str = "") -> str:
        return self.root() + PATHS[link].replace("{id}", object_id)

    def account_id_from_kid(self, kid: str) -> str | None:
        """The account id a ``kid`` names, if it is an account URL of this profile (any prefix)."""
        for prefix in PREFIXES:
            head = self.root(prefix) + "/acct/"
            if kid.startswith(head):
                account_id = kid[len(head) :]
                if account_id and "/" not in account_id and "?" not in account_id:
                    return account_id
        return None


def crl_url(base_url: str, authority_uuid: str) -> str:
    return base_url + CRL_PATH.replace("{authority}", authority_uuid)

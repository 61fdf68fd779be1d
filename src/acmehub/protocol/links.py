"""The ACME side of the one URL table (domain/urls.py): it dispatches every ACME request and
builds every URL handed to an ACME client. Handlers never format URLs.
"""

from __future__ import annotations

from dataclasses import dataclass

from acmehub.domain.urls import (
    CRL_PATH,
    DIRECTORY_MEMBERS,
    FAMILY_PATHS,
    FAMILY_TEMPLATES,
    PATHS,
    PREFIXES,
    Link,
    ProfileMode,
    Urls,
    family_root,
    path_of,
)
from acmehub.services.context import ProfileRef

__all__ = [
    "CRL_PATH",
    "DIRECTORY_MEMBERS",
    "PATHS",
    "PREFIXES",
    "Link",
    "Linker",
    "Match",
    "Route",
    "RouteTable",
    "crl_url",
    "routes",
]


@dataclass(frozen=True)
class Route:
    link: Link
    mode: ProfileMode
    prefix: str
    template: str  # Starlette path template with {profile} and, maybe, {id}
    path: str = ""  # the resource's path below the family root (PATHS, or FAMILY_PATHS)


def routes() -> list[Route]:
    """Every served path: PATHS under each family and prefix, and a family's own paths
    (FAMILY_PATHS) beside them."""
    table = [
        Route(link, mode, prefix, prefix + family + path, path)
        for prefix in PREFIXES
        for mode, family in FAMILY_TEMPLATES
        for link, path in PATHS.items()
    ]
    table += [
        Route(link, mode, prefix, prefix + family + path, path)
        for prefix in PREFIXES
        for mode, family in FAMILY_TEMPLATES
        for link, path in FAMILY_PATHS.get(mode, {}).items()
    ]
    return table


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
            shape = tuple(route.path.strip("/").split("/"))
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
        # A fixed path first ("order/revoke-cert" is no order: ids are 22 characters).
        fixed = self._by_shape.get((prefix, mode, tuple(tail)))
        if fixed is not None and "{id}" not in fixed.path:
            return Match(fixed, profile, "")
        object_id = tail[1] if len(tail) > 1 else ""
        shape = (tail[0], "{id}", *tail[2:]) if object_id else tuple(tail)
        route = self._by_shape.get((prefix, mode, shape))
        if route is None and len(tail) == 3 and tail[2].isdigit() and tail[2][0] != "0":
            # An alternate chain: ".../cert/{id}/{n}"; its object id is "{id}/{n}".
            route = self._by_shape.get((prefix, mode, (tail[0], "{id}", "{n}")))
            object_id = f"{tail[1]}/{tail[2]}"
        return None if route is None else Match(route, profile, object_id)


@dataclass(frozen=True)
class Linker:
    """Builds absolute URLs for one request's profile, family and prefix."""

    base_url: str  # external base URL, no trailing slash
    ref: ProfileRef
    prefix: str = PREFIXES[0]

    def root(self, prefix: str | None = None) -> str:
        return self.base_url + family_root(self.ref.mode, self.ref.name, prefix or self.prefix)

    def url(self, link: Link, object_id: str = "") -> str:
        path = path_of(self.ref.mode, link)
        if "{n}" in path:
            # "{id}/{n}": an object and the number of one of its alternates.
            object_id, _, number = object_id.partition("/")
            path = path.replace("{n}", number)
        return self.root() + path.replace("{id}", object_id)

    def collection(self, link: Link) -> str:
        """The URL below which a resource's objects live, e.g. the directory's renewalInfo
        (RFC 9773 §3: clients append "/" and the certID)."""
        return self.root() + PATHS[link].removesuffix("/{id}")

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
    return Urls(base_url).crl(authority_uuid)

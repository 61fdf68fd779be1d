"""Objects named on the command line by name or UUID, resolved to UUIDs through the list
actions (so it works locally and with ``--server`` alike)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.options import Resolver
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.actions import Action
from acmehub.services.commands.base import MAX_PAGE

_UUID = re.compile(r"^[0-9a-fA-F-]{36}$")


def find_ref(kind: str, ref: str, candidates: Sequence[tuple[str, str]]) -> str:
    """The UUID of the object whose UUID or name is ``ref``; ``candidates``: (uuid, name)."""
    if any(ref == uuid_ for uuid_, _ in candidates):
        return ref
    named = [uuid_ for uuid_, name in candidates if name == ref]
    if len(named) == 1:
        return named[0]
    raise DomainError(ErrorKind.NOT_FOUND, f"no {kind} with the name or UUID {ref}", status=404)


def authority_ref(admin: Admin, ref: str) -> str:
    from acmehub.management.routers import authorities

    found = every(admin, authorities.LIST)
    return find_ref("Authority", ref, [(a.uuid, a.name) for a in found])


def ra_profile_ref(admin: Admin, ref: str) -> str:
    uuid_: str = ra_profile_of(admin, ref).uuid
    return uuid_


def ra_profile_of(admin: Admin, ref: str) -> Any:
    """The RA profile (its RaProfileDetail) named by ``ref``, a name or a UUID."""
    from acmehub.management.routers import ra_profiles

    found = every(admin, ra_profiles.LIST_ALL)
    uuid_ = find_ref("RA Profile", ref, [(r.uuid, r.name) for r in found])
    return next(r for r in found if r.uuid == uuid_)


def every(admin: Admin, action: Action, **filters: Any) -> list[Any]:
    """Every item of a paginated list action, page by page."""
    items: list[Any] = []
    query_model = action.query
    while True:
        query = query_model(offset=len(items), limit=MAX_PAGE, **filters)
        page = admin.do(action, query=query)
        items.extend(page.items)
        if not page.has_more or not page.items:
            return items


def acme_profile_ref(admin: Admin, ref: str) -> str:
    from acmehub.management.routers import acme_profiles

    found = every(admin, acme_profiles.LIST)
    return find_ref("ACME Profile", ref, [(p.uuid, p.name) for p in found])


def resolvers(admin: Admin) -> dict[str, Resolver]:
    """Names or UUIDs of the objects a filter names (a UUID is taken as it is)."""
    return {
        "acme_profiles": lambda ref: acme_profile_ref(admin, ref),
        "ra_profiles": lambda ref: ref if _UUID.match(ref) else ra_profile_ref(admin, ref),
    }


def ra_profile_filter(admin: Admin, ref: str) -> str:
    """A name or UUID here; with --server, the UUID (RA profiles are not listed remotely yet)."""
    if admin.local is None and not re.fullmatch(r"[0-9a-f-]{36}", ref):
        raise DomainError(
            ErrorKind.INVALID_INPUT, "with --server, give --ra-profile as a UUID", status=422
        )
    return ref if admin.local is None else ra_profile_ref(admin, ref)

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

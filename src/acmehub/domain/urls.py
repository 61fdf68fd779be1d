"""The ONE URL table: every path acmehub serves or prints, and the builder of absolute URLs.

The ACME side has two families (platform-reference.md): ``/acme/{acmeProfileName}/...`` and
``/acme/raProfile/{raProfileName}/...``; both also live under ``/api/v1/protocols/acme/`` for
clients configured with the platform's own URL form. protocol/links.py dispatches every ACME
request from these entries; the management API, the web interface, the CLI and the services
build every URL they show with :class:`Urls` (the configured external base URL + a path of
this table). Nothing else formats a URL of ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote


class ProfileMode(StrEnum):
    ACME_PROFILE = "acme"  # /acme/{acmeProfileName}/...
    RA_PROFILE = "raProfile"  # /acme/raProfile/{raProfileName}/...


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
    CERT_ALTERNATE = "certAlternate"
    #: RFC 8555 §7.4.1 pre-authorization; in the directory only where the profile offers it.
    NEW_AUTHZ = "newAuthz"
    RENEWAL_INFO = "renewalInfo"  # RFC 9773


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
    # RFC 8555 §7.4.2: the same certificate with its n-th alternate chain (n = 1, 2, ...).
    Link.CERT_ALTERNATE: "/cert/{id}/{n}",
    Link.NEW_AUTHZ: "/new-authz",
    Link.RENEWAL_INFO: "/renewal-info/{id}",
}

#: Where a family puts a resource elsewhere than PATHS: the RA-profile family's revokeCert is
#: ``/order/revoke-cert`` (platform-reference.md, as the seed lists it). Its directory names this
#: path; the PATHS one is served too, as an alias, for clients that kept an older directory.
FAMILY_PATHS: dict[ProfileMode, dict[Link, str]] = {
    ProfileMode.RA_PROFILE: {Link.REVOKE_CERT: "/order/revoke-cert"},
}


def path_of(mode: ProfileMode, link: Link) -> str:
    """The path of ``link`` below a family root of ``mode`` (what URLs are built from)."""
    return FAMILY_PATHS.get(mode, {}).get(link, PATHS[link])


#: Directory members (RFC 8555 §7.1.1) and the resources they name.
DIRECTORY_MEMBERS = (
    Link.NEW_NONCE,
    Link.NEW_ACCOUNT,
    Link.NEW_ORDER,
    Link.REVOKE_CERT,
    Link.KEY_CHANGE,
)

PREFIXES = ("/acme", "/api/v1/protocols/acme")
#: A family's root below a prefix, in matching order (the RA family first so that "raProfile"
#: is never taken for an ACME profile name; the name is reserved anyway).
FAMILY_TEMPLATES: tuple[tuple[ProfileMode, str], ...] = (
    (ProfileMode.RA_PROFILE, "/raProfile/{profile}"),
    (ProfileMode.ACME_PROFILE, "/{profile}"),
)
CRL_PATH = "/crl/{authority}.crl"
#: Where the management API and the web interface are mounted.
API_PATH = "/api/v1"
UI_PATH = "/ui"


def family_root(mode: ProfileMode, name: str, prefix: str = PREFIXES[0]) -> str:
    """The path of a profile's family root, e.g. ``/acme/raProfile/strict``. Profile names are
    unreserved URL characters (RFC 3986 §2.3, services/profile_rules.py): no escaping."""
    template = dict(FAMILY_TEMPLATES)[mode]
    return prefix + template.replace("{profile}", name)


@dataclass(frozen=True)
class Urls:
    """Absolute URLs of this deployment: the configured external base URL + a table path."""

    base_url: str  # scheme://host[:port][/path], no trailing slash

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def acme(self, mode: ProfileMode, name: str, link: Link = Link.DIRECTORY, id_: str = "") -> str:
        return self.base_url + family_root(mode, name) + path_of(mode, link).replace("{id}", id_)

    def directory(self, acme_profile: str) -> str:
        """The ACME directory of the ACME-profile family (/acme/{name}/directory)."""
        return self.acme(ProfileMode.ACME_PROFILE, acme_profile)

    def ra_directory(self, ra_profile: str) -> str:
        """The ACME directory of the RA-profile family (/acme/raProfile/{name}/directory)."""
        return self.acme(ProfileMode.RA_PROFILE, ra_profile)

    def crl(self, authority_uuid: str) -> str:
        return self.base_url + CRL_PATH.replace("{authority}", quote(authority_uuid, safe=""))

    def api(self, path: str = "") -> str:
        """A management API URL (``path`` as in the OpenAPI document, e.g. /acmeProfiles)."""
        return self.base_url + API_PATH + path

    def ui(self, path: str = "") -> str:
        """A web interface page (``path`` below /ui, e.g. /acme-profiles/{uuid})."""
        return self.base_url + UI_PATH + path

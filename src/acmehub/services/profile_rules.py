"""Input rules shared by the Authority, RA Profile and ACME Profile use cases.

Refusals are ``invalidInput`` (HTTP 422) and name the field as the management API spells it,
so the API, the CLI and the web interface report the same thing.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from acmehub.domain.errors import DomainError, ErrorKind

#: Names used in ACME URLs: unreserved URL characters only (RFC 3986 §2.3).
_URL_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")
#: "raProfile" is the second URL family's root (/acme/raProfile/{name}/...).
RESERVED_ACME_PROFILE_NAMES = frozenset({"raProfile"})
MAX_DESCRIPTION = 2000
MAX_URL = 2000


@dataclass(frozen=True)
class BulkFailure:
    """One object a bulk action could not act on: the platform's BulkActionMessage."""

    uuid: str
    name: str
    message: str


#: Domain field names the management API spells differently from their camelCase form.
_API_NAMES = {
    "policy": "issuancePolicy",
    "default_ra_profile_uuid": "raProfileUuid",
    "acme_profile_uuid": "acmeProfile",
    "acme_issue_attributes": "issueCertificateAttributes",
    "acme_revoke_attributes": "revokeCertificateAttributes",
}


def api_name(field: str) -> str:
    """A domain field's name in the management API (and in audit event details)."""
    if field in _API_NAMES:
        return _API_NAMES[field]
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


def invalid(detail: str) -> DomainError:
    return DomainError(ErrorKind.INVALID_INPUT, detail, status=422)


def not_found(what: str) -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, f"{what} not found", status=404)


def conflict(detail: str) -> DomainError:
    return DomainError(ErrorKind.CONFLICT, detail, status=409)


def check_url_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not _URL_NAME.fullmatch(name):
        raise invalid(
            f"name: the {what} name must be 1-200 of the characters A-Z a-z 0-9 - . _ ~ "
            "(it appears in ACME URLs)"
        )


def check_display_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise invalid(f"name: the {what} name must be 1-200 characters, not blank")


def check_description(description: Any) -> None:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise invalid(f"description must be a string of at most {MAX_DESCRIPTION} characters")


def check_http_url(value: Any, field: str) -> None:
    """None or an absolute http(s) URL (what the directory's meta hands to clients)."""
    if value is None:
        return
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise invalid(f"{field} must be an http or https URL of at most {MAX_URL} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(f"{field} must be an absolute http or https URL")


def check_int(value: Any, field: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{field} must be an integer between {low} and {high}")


def check_bool(value: Any, field: str) -> None:
    if not isinstance(value, bool):
        raise invalid(f"{field} must be true or false")


def check_ip(value: Any, field: str) -> None:
    if value is None:
        return
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise invalid(f"{field} must be an IPv4 or IPv6 address") from None


def check_json_object(value: Any, field: str) -> None:
    if not isinstance(value, dict):
        raise invalid(f"{field} must be a JSON object")

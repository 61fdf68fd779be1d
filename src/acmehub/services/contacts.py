"""Account contact rules (RFC 8555 §7.3, §7.3.2): mailto: URIs only."""

from __future__ import annotations

import re
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind

MAX_CONTACTS = 10
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=^_`{|}~-]+@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def parse_contacts(raw: Any) -> tuple[str, ...]:
    """Validate a ``contact`` member; unsupportedContact for other schemes, invalidContact else."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise DomainError(ErrorKind.MALFORMED, "contact must be a list of strings")
    if len(raw) > MAX_CONTACTS:
        raise DomainError(
            ErrorKind.INVALID_CONTACT, f"at most {MAX_CONTACTS} contacts are accepted"
        )
    contacts: list[str] = []
    for uri in raw:
        scheme, sep, address = uri.partition(":")
        if not sep or scheme.lower() != "mailto":
            raise DomainError(
                ErrorKind.UNSUPPORTED_CONTACT,
                f"contact {uri!r}: only mailto: URIs are supported",
            )
        # RFC 8555 §7.3: no hfields (?subject=...) and one address per URI.
        if "?" in address or "," in address or not _ADDRESS.match(address):
            raise DomainError(
                ErrorKind.INVALID_CONTACT, f"contact {uri!r} is not a valid email address"
            )
        contacts.append(f"mailto:{address}")
    return tuple(contacts)

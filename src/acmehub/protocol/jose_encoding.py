"""Strict encodings of ACME's JOSE messages: unpadded base64url and JSON objects (RFC 8555
§6.1-6.2, RFC 7515 §2), and the problem helpers shared by the JWS and JWK modules.

Every refusal is a :class:`DomainError`; the detail texts are safe to show to clients.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Final

from acmehub.domain.errors import DomainError, ErrorKind

B64URL_RE: Final = re.compile(r"[A-Za-z0-9_-]*")
_B64URL_VALUES: Final = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}


def malformed(detail: str) -> DomainError:
    return DomainError(ErrorKind.MALFORMED, detail)


def b64url_decode(value: object, what: str) -> bytes:
    """Decode unpadded base64url strictly (RFC 8555 §6.1, RFC 7515 §2).

    Padding, characters outside the URL-safe alphabet and non-canonical trailing bits
    (RFC 4648 §3.5) are refused as malformed.
    """
    if not isinstance(value, str) or not B64URL_RE.fullmatch(value):
        raise malformed(f"{what} is not unpadded base64url")
    rest = len(value) % 4
    if rest == 1:
        raise malformed(f"{what} is not unpadded base64url")
    if rest and _B64URL_VALUES[value[-1]] & (0x0F if rest == 2 else 0x03):
        raise malformed(f"{what} is not canonical base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        # RFC 7515 §5.2 step 4 lets us refuse duplicate member names; we do, everywhere.
        raise ValueError("duplicate member name")
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity (RFC 8259 §6)


# Built once: json.loads with hooks would build a decoder per call (hot path).
_JSON: Final = json.JSONDecoder(object_pairs_hook=_unique_members, parse_constant=_refuse_constant)


def parse_json_object(data: bytes, what: str) -> dict[str, Any]:
    """Parse UTF-8 JSON text that must be an object; anything else is malformed.

    Duplicate member names and non-standard constants are refused; absurd nesting ends in
    RecursionError inside the json module, which is refused too.
    """
    try:
        value = _JSON.decode(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise malformed(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise malformed(f"{what} is not a JSON object")
    return value


def shown(value: object) -> str:
    """A client-supplied value quoted in a problem detail, cut short."""
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."

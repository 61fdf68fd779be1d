"""Parameter types shared by the routers.

``Timestamp``: an RFC 3339 date-time with a zone, as the OpenAPI ``format: date-time`` promises.
pydantic alone also takes numbers ("0.5" as seconds since 1970) and times without a zone; those
are refused here with a 422 that shows the expected form.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
_EXAMPLE = "2026-05-01T12:00:00Z"


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(f"must be an RFC 3339 date-time with a time zone, e.g. {_EXAMPLE}")
    try:
        when = datetime.fromisoformat(value.replace("z", "Z"))
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{value} is not a representable date-time (e.g. {_EXAMPLE})") from None


#: A query or body date-time: RFC 3339 with a zone, returned in UTC.
Timestamp = Annotated[datetime, BeforeValidator(_rfc3339)]

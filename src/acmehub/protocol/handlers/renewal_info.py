"""renewalInfo/{certID} (RFC 9773 §4): an unauthenticated GET, answered with the suggested
renewal window and a Retry-After saying when to ask again."""

from __future__ import annotations

from typing import Any

from acmehub.protocol.render import rfc3339
from acmehub.protocol.request import AcmeRequest, Reply


def renewal_info(req: AcmeRequest) -> Reply:
    answer = req.services.renewal_info.renewal_info(req.ctx, req.object_id)
    window = answer.window
    doc: dict[str, Any] = {
        "suggestedWindow": {"start": rfc3339(window.start), "end": rfc3339(window.end)}
    }
    if window.explanation_url:
        doc["explanationURL"] = window.explanation_url
    # RFC 9773 §4.3: Retry-After says when to fetch again.
    return Reply(json=doc, headers={"Retry-After": str(answer.retry_after)})

"""Files the web interface hands out (a CA chain, a certificate): the body with its media type,
saved under a name of the page's choosing."""

from __future__ import annotations

from starlette.responses import Response


def attachment(body: str | bytes, media_type: str, filename: str) -> Response:
    """``body`` as a download named ``filename``."""
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=disposition)

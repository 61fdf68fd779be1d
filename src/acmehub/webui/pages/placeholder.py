"""A page for a section that is not built yet: says what it will show and where to do it now."""

from __future__ import annotations

from starlette.responses import Response

from acmehub.webui.framework import Handler, Req


def coming(title: str, what: str, meanwhile: str) -> Handler:
    def page(req: Req) -> Response:
        return req.render("placeholder.html", title=title, what=what, meanwhile=meanwhile)

    return page

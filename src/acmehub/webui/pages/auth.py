"""Sign in and sign out.

The sign-in form has no session yet, so its CSRF token is a random value in a short-lived
cookie that the form repeats in a hidden field (checked by the framework like a session's).
"""

from __future__ import annotations

from starlette.responses import Response

from acmehub.domain.errors import DomainError
from acmehub.webui.framework import PREFIX, PageRoute, Req, new_signin_token, safe_next

SIGNIN_COOKIE_AGE = 3600


def signin_form(req: Req) -> Response:
    if req.who is not None:
        return req.redirect(safe_next(req.param("next")))
    return _form(req, 200)


def _form(req: Req, status: int, error: str = "", username: str = "") -> Response:
    token = new_signin_token()
    notice = "You have signed out." if req.param("signed_out") else ""
    response = req.render(
        "signin.html",
        status=status,
        csrf_token=token,
        next=safe_next(req.form.get("next") or req.param("next")),
        username=username,
        error=error,
        notice=notice,
    )
    req.ui.set_cookie(response, req.ui.cookies.signin, token, max_age=SIGNIN_COOKIE_AGE)
    return response


def signin(req: Req) -> Response:
    username = req.form.get("username").strip()
    password = req.form.get("password")
    client = req.request.client  # the real client (admin_edge.ClientAddress)
    try:
        secret, _ = req.services.sessions.sign_in(
            username, password, source=client.host if client else ""
        )
    except DomainError as exc:
        # 401: wrong name or password; 429: the throttle (wait, or locked); 503: busy.
        if exc.status in (401, 429, 503):
            response = _form(req, exc.status, exc.detail, username)
            response.headers.update(exc.headers)
            return response
        raise
    if req.secret:  # signed in already (another tab): that session ends
        req.services.sessions.sign_out(req.secret)
    response = req.redirect(safe_next(req.form.get("next")))
    req.ui.set_cookie(response, req.ui.cookies.session, secret, max_age=None)
    req.ui.clear_cookie(response, req.ui.cookies.signin)
    return response


def signout(req: Req) -> Response:
    req.services.sessions.sign_out(req.secret)
    response = req.redirect(f"{PREFIX}/signin?signed_out=1")
    req.ui.clear_cookie(response, req.ui.cookies.session)
    req.ui.clear_cookie(response, req.ui.cookies.flash)
    return response


ROUTES = [
    PageRoute("/signin", signin_form, name="signin_form", public=True),
    PageRoute("/signin", signin, methods=("POST",), name="signin", public=True),
    PageRoute("/signout", signout, methods=("POST",), name="signout"),
]

"""Mass renewal (RFC 9773): the form that moves the renewal windows of a certificate, an
account, an RA profile or an authority into the past (services/renewal_info.py); ARI clients
such as certbot then renew at once. Listed before the certificate pages: its path would
otherwise read as a certificate id."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.commands.renewal import RenewalScopeKind, RenewEarlyRequest
from acmehub.webui import forms
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req

PATH = "/certificates/renew-early"
TEMPLATE = "certificates/renew_early.html"


def form(
    req: Req, values: dict[str, Any] | None = None, exc: DomainError | None = None
) -> Response:
    if values is None:
        values = forms.values_of(RenewEarlyRequest)
        values.update(
            {k: req.param(k) for k in ("scope", "target") if req.param(k)},
        )
    errors, error = forms.errors_of(exc, RenewEarlyRequest) if exc else ({}, "")
    return forms.render_form(
        req, TEMPLATE, RenewEarlyRequest, values, errors, error, 422 if exc else 200
    )


def renew_early(req: Req) -> Response:
    try:
        command = forms.command_of(RenewEarlyRequest, req.form)
        done = req.services.renewal_info.renew_early(req.actor, command)
    except DomainError as exc:
        if exc.kind not in (ErrorKind.INVALID_INPUT, ErrorKind.NOT_FOUND):
            raise
        if exc.kind is ErrorKind.NOT_FOUND:
            exc = DomainError(ErrorKind.INVALID_INPUT, exc.detail, status=422)
        return form(req, forms.posted(RenewEarlyRequest, req.form), exc)
    message = (
        f"Renewal window moved into the past for {done.moved} certificate(s) of "
        f"{done.scope.value} {done.target_name}."
    )
    if done.scope is RenewalScopeKind.CERTIFICATE:
        return req.redirect(f"{PREFIX}/certificates/{done.target_uuid}", Flash("success", message))
    return req.redirect(f"{PREFIX}{PATH}", Flash("success", message))


ROUTES = [
    PageRoute(PATH, form, name="renew_early_page"),
    PageRoute(PATH, renew_early, methods=("POST",), name="renew_early"),
]

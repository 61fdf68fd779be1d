"""What the pages of an object family share around a service call: a form posted and its
refusal shown beside its field, the objects a bulk action names, and the POST actions that
change or delete one object and go back with a flash message (the service named by its
attribute on ``req.services``, e.g. ``"ra_profiles"``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

from pydantic import BaseModel
from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.profile_rules import BulkFailure
from acmehub.webui.forms import command_of, errors_of, posted
from acmehub.webui.framework import Flash, Req, safe_next

Show = Callable[[dict[str, str], str, int], Response]


class ShowForm(Protocol):
    """A page with a form: the values, the refusals beside their fields, one at the top."""

    def __call__(
        self,
        values: dict[str, Any],
        errors: dict[str, str] | None = None,
        error: str = "",
        status: int = 200,
    ) -> Response: ...


def done(req: Req, target: str, message: str) -> Response:
    """To ``target``, saying what was done."""
    return req.redirect(target, Flash("success", message))


def here(req: Req) -> str:
    """This page's path and query: where a bulk action started on it goes back to."""
    url = req.request.url
    return url.path + (f"?{url.query}" if url.query else "")


def selected(req: Req, default: str) -> tuple[list[str], str]:
    """The objects a bulk action names (``uuid``, posted or, on a GET, in the query) and the
    page to go back to (``back``, else ``default``)."""
    if req.method == "POST":
        uuids, back = req.form.get_all("uuid"), req.form.get("back")
    else:
        uuids, back = req.request.query_params.getlist("uuid"), req.param("back")
    return [u for u in uuids if u], safe_next(back or default)


def report(noun: str, verb: str, done: int, failures: Sequence[BulkFailure]) -> list[Flash]:
    """A bulk action's outcome: how many ``noun``s (singular; an s is added) were ``verb``, then
    each failure with the object's name (or UUID) and why."""
    flashes = [Flash("success", f"{done} {noun}{'' if done == 1 else 's'} {verb}.")] if done else []
    flashes += [Flash("error", f"{f.name or f.uuid}: {f.message}") for f in failures]
    return flashes


def refused(exc: DomainError, model: type[BaseModel], show: Show) -> Response:
    """A refusal on its form: a name taken (409) or a field's (422), else the error page."""
    if exc.kind is ErrorKind.CONFLICT:
        return show({"name": exc.detail}, "", 409)
    if exc.kind is not ErrorKind.INVALID_INPUT:
        raise exc
    errors, error = errors_of(exc, model)
    return show(errors, error, 422)


def submit(
    req: Req,
    model: type[BaseModel],
    act: Callable[[Any], Response],
    show: ShowForm,
    *,
    command: type[BaseModel] | None = None,
    skip: Collection[str] = (),
    keep: dict[str, Any] | None = None,
) -> Response:
    """A posted form: ``act`` on the command it makes (``command``, else ``model``); a refusal
    shows the form again with the posted values (and ``keep``), the refusal beside its field."""
    try:
        return act(command_of(command or model, req.form, skip=skip))
    except DomainError as exc:
        values = {**posted(model, req.form, skip=skip), **(keep or {})}
        return refused(
            exc, model, lambda errors, error, status: show(values, errors, error, status)
        )


def change(
    family: str, base: str, said: Callable[[Any, str], str], method: str = ""
) -> Callable[[Req], Response]:
    """POST <base>/<ids>/<method> (by default the path's last segment, e.g. enable): the family
    service's method with the path's ids (e.g. the UUID), then back to the object saying how it
    went (a refusal as a flash)."""

    def handler(req: Req) -> Response:
        ids = [str(v) for v in req.request.path_params.values()]
        name = method or req.request.url.path.rsplit("/", 1)[1]
        target = "/".join((base, *ids))
        try:
            result = getattr(getattr(req.services, family), name)(req.actor, *ids)
        except DomainError as exc:
            if exc.kind is not ErrorKind.INVALID_INPUT:
                raise
            return req.redirect(target, Flash("error", exc.detail))
        return req.redirect(target, Flash("success", said(result, f"{name}d")))

    return handler


def removal(
    family: str, base: str, said: Callable[[Any], str], then: Callable[[Any], str]
) -> Callable[[Req], Response]:
    """POST .../{uuid}/delete: the family service deletes the object (named before it goes),
    then to ``then(view)``; a refusal goes back to the object as a flash."""

    def handler(req: Req) -> Response:
        uuid = req.path_param("uuid")
        service = getattr(req.services, family)
        view = service.get(req.actor, uuid)
        try:
            service.delete(req.actor, uuid)
        except DomainError as exc:
            if exc.kind is not ErrorKind.INVALID_INPUT:
                raise
            return req.redirect(f"{base}/{uuid}", Flash("error", exc.detail))
        return req.redirect(then(view), Flash("success", said(view)))

    return handler

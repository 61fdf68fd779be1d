"""What every administration command shares: the services, output (tables or JSON), errors.

Exit status: 0 done; 1 refused (the problem detail on stderr, as a problem document with
``--json``); 2 usage or configuration error.

``--json`` prints the REST API's own response models (``management/routers``), so a script
sees the same shapes through either door.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeAlias

from pydantic import BaseModel

from acmehub import bootstrap
from acmehub.cli_admin.backend import CLI_CONFIG, Backend, LocalBackend, RemoteBackend, remote_of
from acmehub.config import load_settings
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Role
from acmehub.management.actions import Action
from acmehub.management.problems import error_document
from acmehub.services.admin import CLI_ACTOR, Actor
from acmehub.services.commands.base import MAX_PAGE, Column
from acmehub.services.container import Services

EXIT_REFUSED = 1
#: What ``add_subparsers()`` returns (the runtime class is not subscriptable: a string alias).
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


@dataclass
class Admin:
    """One command's view: where its actions run (in-process or a remote server), who acts,
    and how to print."""

    backend: Backend
    json: bool
    #: The services of a local run (None when the command drives a remote server).
    local: Services | None = None
    actor: Actor = CLI_ACTOR
    #: The server's external base URL (for the directory URLs shown).
    base_url: str = ""
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    failed: bool = False

    @property
    def services(self) -> Services:
        """For the commands not yet written as actions: they run locally only."""
        if self.local is None:
            raise DomainError(
                ErrorKind.MALFORMED, "this command runs only on the server's machine", status=400
            )
        return self.local

    def do(
        self,
        action: Action,
        path: Mapping[str, str] | None = None,
        body: Any = None,
        query: Any = None,
    ) -> Any:
        """Perform an administrative action, here or on the remote server."""
        return self.backend.do(action, path, body, query)

    def emit(self, value: Any) -> None:
        """JSON on stdout (``--json``), pretty and stable."""
        json.dump(jsonable(value), self.out, indent=2, ensure_ascii=False)
        self.out.write("\n")

    def table(self, rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
        print_table(self.out, headers, rows)

    def listing(self, items: Sequence[Any], columns: Sequence[Column[Any]]) -> None:
        """A table of views with the columns declared once (the web interface shows them
        too), or the views as JSON."""
        if self.json:
            self.emit(list(items))
            return
        rows = [tuple(c.value(item) for c in columns) for item in items]
        self.table(rows, tuple(c.header.upper() for c in columns))

    def page(self, page: Any, columns: Sequence[Column[Any]]) -> None:
        """One page of a list (``--offset``/``--limit``) with the columns declared once."""
        rows = [tuple(c.value(item) for c in columns) for item in page.items]
        self._page(page, rows, tuple(c.header.upper() for c in columns))

    def page_rows(
        self, page: Any, headers: Sequence[str], row: Callable[[Any], Sequence[Any]]
    ) -> None:
        """One page of a list, each item printed by ``row`` under ``headers``."""
        self._page(page, [row(item) for item in page.items], headers)

    def _page(self, page: Any, rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
        """The page as JSON (``--json``), else a table and, when more follow, the option that
        shows the next page."""
        if self.json:
            self.emit(page)
            return
        self.table(rows, headers)
        if page.has_more:
            total = getattr(page, "total", None)
            lead = f"{total} match; " if total is not None else ""
            self.note(f"{lead}next page: --offset {page.offset + len(page.items)}")

    def details(self, model: BaseModel, *, skip: Sequence[str] = ()) -> None:
        """One ``field: value`` line per field of an API model (camelCase, as in JSON)."""
        data = model.model_dump(mode="json", by_alias=True)
        width = max((len(k) for k in data), default=0)
        for key, value in data.items():
            if key not in skip:
                self.out.write(f"{key.ljust(width)}  {cell(value, 200)}\n")

    def show(self, view: BaseModel) -> None:
        """One object: its view as JSON (``--json``), else one line per field."""
        if self.json:
            self.emit(view)
        else:
            self.details(view)

    def bulk(self, done: Mapping[str, str], messages: Sequence[Any], noun: str) -> None:
        """A bulk action's outcome: ``done`` maps each UUID acted on to the line to print if
        it succeeded; ``messages`` (BulkMessage) are the failures, on stderr (exit status 1)."""
        self.failed = bool(messages)
        if self.json:
            self.emit(list(messages))
            return
        failed = {m.uuid for m in messages}
        for uuid_, line in done.items():
            if uuid_ not in failed:
                self.say(line)
        for m in messages:
            self.note(f"{noun} {m.name or m.uuid}: {m.message}")

    def say(self, message: str) -> None:
        """The result of a change, on stdout."""
        print(message, file=self.out)

    def note(self, message: str) -> None:
        """A message for the person at the terminal (stderr, so stdout stays parseable)."""
        print(f"acmehub: {message}", file=self.err)


Handler = Callable[[Admin, argparse.Namespace], None]


@contextmanager
def open_services(args: argparse.Namespace) -> Iterator[tuple[Services, str]]:
    """The services of the configured state directory or database (which must be set up),
    and the server's external base URL."""
    settings = load_settings(Path(args.config) if args.config else None)
    if not bootstrap.is_initialized(settings):
        raise DomainError(
            ErrorKind.NOT_FOUND,
            f"{settings.state_dir} is not initialized: run `acmehub init` first "
            "(or point --config / ACMEHUB_STATE_DIR at the right place)",
            status=404,
        )
    container = bootstrap.build_container(settings)
    # The schema check reads Alembic's revision; its INFO chatter is not for this audience.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        bootstrap.check_schema(container)
        yield container.services, settings.base_url
    finally:
        container.engine.dispose()


def run(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """An argparse ``func`` that runs ``handler`` (locally, or on ``--server``) and reports
    refusals."""

    def func(args: argparse.Namespace) -> int:
        as_json = bool(getattr(args, "json", False))
        admin: Admin | None = None
        try:
            remote = remote_of(
                getattr(args, "server", None),
                getattr(args, "token", None),
                getattr(args, "profile", None),
                getattr(args, "ca_file", None),
                os.environ,
            )
            if remote is not None:
                backend = RemoteBackend(remote.server, remote.token, remote.ca_file)
                try:
                    admin = Admin(backend, as_json)
                    handler(admin, args)
                finally:
                    backend.close()
            else:
                with open_services(args) as (services, base_url):
                    admin = Admin(LocalBackend(services, CLI_ACTOR), as_json, services)
                    admin.base_url = base_url
                    handler(admin, args)
        except DomainError as exc:
            report(exc, as_json, sys.stderr)
            return EXIT_REFUSED
        return EXIT_REFUSED if admin is not None and admin.failed else 0

    return func


def report(exc: DomainError, as_json: bool, err: TextIO) -> None:
    if as_json:
        json.dump(error_document(exc), err, ensure_ascii=False)
        err.write("\n")
    else:
        print(f"acmehub: {exc.detail}", file=err)


def json_flag() -> argparse.ArgumentParser:
    """A parent parser adding ``--json`` and the remote options to a command."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print JSON (the API's shapes)")
    add_remote_options(parent, default=argparse.SUPPRESS)
    return parent


def role_option(parser: argparse.ArgumentParser) -> None:
    """``--role``: what a token or a web user may do (services/admin.py ranks the roles)."""
    parser.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in Role],
        help="admin: everything; operator: enable, disable, revoke; auditor: read only",
    )


def add_remote_options(parser: argparse.ArgumentParser, default: Any = None) -> None:
    """``--server``/``--token``/``--profile``/``--ca-file``: drive a running acmehub's API."""
    group = parser.add_argument_group("remote server (default: this machine's configuration)")
    group.add_argument(
        "--server", default=default, metavar="URL", help="base URL of a running acmehub"
    )
    group.add_argument(
        "--token", default=default, help="API token (or ACMEHUB_TOKEN; prefer a profile)"
    )
    group.add_argument(
        "--profile", default=default, help=f"a [profiles.NAME] of {CLI_CONFIG} (or ACMEHUB_PROFILE)"
    )
    group.add_argument(
        "--ca-file", default=default, metavar="PEM", help="CA certificates to trust for --server"
    )


def jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- finding objects


def find_ref(kind: str, ref: str, candidates: Sequence[tuple[str, str]]) -> str:
    """The UUID of the object whose UUID or name is ``ref``; ``candidates``: (uuid, name)."""
    if any(ref == uuid_ for uuid_, _ in candidates):
        return ref
    named = [uuid_ for uuid_, name in candidates if name == ref]
    if len(named) == 1:
        return named[0]
    raise DomainError(ErrorKind.NOT_FOUND, f"no {kind} with the name or UUID {ref}", status=404)


def authority_ref(admin: Admin, ref: str) -> str:
    from acmehub.management.routers import authorities

    found = every(admin, authorities.LIST)
    return find_ref("Authority", ref, [(a.uuid, a.name) for a in found])


def ra_profile_ref(admin: Admin, ref: str) -> str:
    uuid_: str = ra_profile_of(admin, ref).uuid
    return uuid_


def ra_profile_of(admin: Admin, ref: str) -> Any:
    """The RA profile (its RaProfileDetail) named by ``ref``, a name or a UUID."""
    from acmehub.management.routers import ra_profiles

    found = every(admin, ra_profiles.LIST_ALL)
    uuid_ = find_ref("RA Profile", ref, [(r.uuid, r.name) for r in found])
    return next(r for r in found if r.uuid == uuid_)


def every(admin: Admin, action: Action, **filters: Any) -> list[Any]:
    """Every item of a paginated list action, page by page."""
    items: list[Any] = []
    query_model = action.query
    while True:
        query = query_model(offset=len(items), limit=MAX_PAGE, **filters)
        page = admin.do(action, query=query)
        items.extend(page.items)
        if not page.has_more or not page.items:
            return items


def acme_profile_ref(admin: Admin, ref: str) -> str:
    from acmehub.management.routers import acme_profiles

    found = every(admin, acme_profiles.LIST)
    return find_ref("ACME Profile", ref, [(p.uuid, p.name) for p in found])


# --------------------------------------------------------------------------- input


def json_object(text: str) -> dict[str, Any]:
    """An argparse type: a JSON object given inline, or @FILE to read it from a file."""
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, OSError) as exc:
        raise argparse.ArgumentTypeError(f"not a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('must be a JSON object, e.g. \'{"key": "value"}\'')
    return value


def parse_time(text: str) -> datetime:
    """ISO 8601 date or date-time for argparse; without a zone it is taken as UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time (e.g. 2026-05-01 or 2026-05-01T12:00:00Z)"
        ) from None
    return when if when.utcoffset() is not None else when.replace(tzinfo=UTC)


def on_off(text: str) -> bool:
    """An argparse type for yes/no switches."""
    value = text.lower()
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "off", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r}: say yes or no")


def changes(args: argparse.Namespace, names: dict[str, str]) -> dict[str, Any]:
    """The options the user gave (not None), renamed to the service's field names."""
    return {
        field: getattr(args, dest)
        for dest, field in names.items()
        if getattr(args, dest) is not None
    }


# --------------------------------------------------------------------------- tables


def cell(value: Any, width: int = 60) -> str:
    """One table cell: times to the second in UTC, None as "-", long text shortened."""
    if value is None:
        text = "-"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, datetime):
        text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    elif isinstance(value, dict | list):
        text = json.dumps(value, separators=(",", ":"), sort_keys=True) if value else "-"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def print_table(out: TextIO, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    for line in [list(headers), *cells]:
        out.write("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        out.write("\n")
    if not rows:
        out.write("(none)\n")

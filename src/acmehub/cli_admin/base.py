"""What every administration command shares: :class:`Admin` (where the command's actions run,
who acts) and its output: tables by default, ``--json`` for scripts.

``--json`` prints the REST API's own response models (``management/routers``), so a script
sees the same shapes through either door. Running a command (locally or on ``--server``) is
:mod:`acmehub.cli_admin.running`; naming objects by name or UUID is :mod:`acmehub.cli_admin.refs`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import BaseModel

from acmehub.cli_admin.backend import Backend
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.actions import Action
from acmehub.services.admin import CLI_ACTOR, Actor
from acmehub.services.commands.base import Column
from acmehub.services.container import Services


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

    def show(self, view: BaseModel, *, skip: Sequence[str] = ()) -> None:
        """One object: its view as JSON (``--json``), else one line per field (but ``skip``)."""
        if self.json:
            self.emit(view)
        else:
            self.details(view, skip=skip)

    def result(self, view: Any, message: str) -> None:
        """A change's outcome: its view as JSON (``--json``), else ``message``."""
        if self.json:
            self.emit(view)
        else:
            self.say(message)

    def bulk(self, done: Iterable[tuple[str, str]], messages: Sequence[Any], noun: str) -> None:
        """A bulk action's outcome: ``done`` pairs each UUID acted on with the line to print if
        it succeeded; ``messages`` (BulkMessage) are the failures, on stderr (exit status 1)."""
        self.failed = bool(messages)
        if self.json:
            self.emit(list(messages))
            return
        failed = {m.uuid for m in messages}
        for uuid_, line in done:
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

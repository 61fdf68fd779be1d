"""What every administration command shares: the services, output (tables or JSON), errors.

Exit status: 0 done; 1 refused (the problem detail on stderr, as a problem document with
``--json``); 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel

from acmehub import bootstrap
from acmehub.config import load_settings
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.problems import status_of
from acmehub.services.admin import CLI_ACTOR, Actor
from acmehub.services.container import Services

EXIT_REFUSED = 1


@dataclass
class Admin:
    """One command's view: the services, who acts, and how to print."""

    services: Services
    actor: Actor
    json: bool
    out: TextIO = sys.stdout
    err: TextIO = sys.stderr

    def emit(self, value: Any) -> None:
        """JSON on stdout (``--json``), pretty and stable."""
        json.dump(jsonable(value), self.out, indent=2)
        self.out.write("\n")

    def table(self, rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
        print_table(self.out, headers, rows)

    def note(self, message: str) -> None:
        """A message for the person at the terminal (stderr, so stdout stays parseable)."""
        print(f"acmehub: {message}", file=self.err)


Handler = Callable[[Admin, argparse.Namespace], None]


@contextmanager
def open_services(args: argparse.Namespace) -> Iterator[Services]:
    """The services of the configured state directory or database (which must be set up)."""
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
        yield container.services
    finally:
        container.engine.dispose()


def run(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """An argparse ``func`` that runs ``handler`` with the services and reports refusals."""

    def func(args: argparse.Namespace) -> int:
        as_json = bool(getattr(args, "json", False))
        try:
            with open_services(args) as services:
                handler(Admin(services, CLI_ACTOR, as_json), args)
        except DomainError as exc:
            report(exc, as_json, sys.stderr)
            return EXIT_REFUSED
        return 0

    return func


def report(exc: DomainError, as_json: bool, err: TextIO) -> None:
    if as_json:
        document = {"type": "about:blank", "title": exc.kind.value, "status": status_of(exc)}
        json.dump({**document, "detail": exc.detail}, err)
        err.write("\n")
    else:
        print(f"acmehub: {exc.detail}", file=err)


def json_flag() -> argparse.ArgumentParser:
    """A parent parser adding ``--json`` to a command."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parent


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
    lines = [headers, *cells]
    for line in lines:
        out.write("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        out.write("\n")
    if not rows:
        out.write("(none)\n")


def parse_time(text: str) -> datetime:
    """ISO 8601 date or date-time for argparse; without a zone it is taken as UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time (e.g. 2026-05-01 or 2026-05-01T12:00:00Z)"
        ) from None
    return when if when.utcoffset() is not None else when.replace(tzinfo=UTC)

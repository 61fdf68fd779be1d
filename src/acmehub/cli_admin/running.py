"""Running a command: an argparse ``func`` that performs a handler's actions in this process on
the configured database, or on a running acmehub (``--server``), and reports refusals.

Exit status: 0 done; 1 refused (the problem detail on stderr, as a problem document with
``--json``); 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, TypeAlias

from acmehub import bootstrap
from acmehub.cli_admin.backend import CLI_CONFIG, LocalBackend, RemoteBackend, remote_of
from acmehub.cli_admin.base import Admin
from acmehub.config import load_settings
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.management.problems import error_document
from acmehub.services.admin import CLI_ACTOR
from acmehub.services.container import Services

EXIT_REFUSED = 1
#: What ``add_subparsers()`` returns (the runtime class is not subscriptable: a string alias).
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
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

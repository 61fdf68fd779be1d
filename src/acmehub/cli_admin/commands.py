"""Sub-commands built from the management actions, so that a family module is a short
declaration of its sub-commands: ``list`` (every item, or a page with the query model's
filters), ``show`` by name or UUID, enable/disable/delete of one object or of many (the
BulkMessage report), and ``update`` from the command model. Each runs locally or on
``--server`` alike (cli_admin/running.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from acmehub.cli_admin.base import Admin
from acmehub.cli_admin.options import Resolver, add_options, command_of
from acmehub.cli_admin.refs import every, resolvers
from acmehub.cli_admin.running import Handler, SubParsers, json_flag, run
from acmehub.management.actions import Action
from acmehub.services.commands.base import BulkMessage, Column, UuidView

#: The resolvers of a command's reference fields (``options`` hint), for one run.
Resolvers = Callable[[Admin], dict[str, Resolver]]


@dataclass(frozen=True)
class Ref:
    """How the command line names a family's objects: ``path`` turns what the user typed (a
    name or a UUID) into the action's path parameters, ``key`` the one with its own UUID."""

    noun: str
    metavar: str
    path: Callable[[Admin, str], dict[str, str]]
    key: str
    help: str = "name or UUID"
    helps: str = "names or UUIDs"

    def uuid(self, admin: Admin, typed: str) -> str:
        return self.path(admin, typed)[self.key]


def ref_by_uuid(noun: str, metavar: str, key: str, find: Callable[[Admin, str], str]) -> Ref:
    """A Ref to an object whose path is its UUID alone, found by ``find`` (name or UUID)."""
    return Ref(noun, metavar, lambda admin, typed: {key: find(admin, typed)}, key)


def command(
    actions: SubParsers,
    name: str,
    text: str,
    handler: Handler,
    *,
    ref: Ref | None = None,
    many: bool = False,
    model: type[BaseModel] | None = None,
    skip: Collection[str] = (),
    **defaults: Any,
) -> argparse.ArgumentParser:
    """A sub-command with ``--json`` and the remote options; ``ref``: its object (``args.ref``),
    or with ``many`` its objects (``args.refs``); ``model``: one option per field."""
    parser = actions.add_parser(name, parents=[json_flag()], help=text)
    if ref is not None and many:
        parser.add_argument("refs", metavar=ref.metavar, nargs="+", help=ref.helps)
    elif ref is not None:
        parser.add_argument("ref", metavar=ref.metavar, help=ref.help)
    if model is not None:
        add_options(parser, model, skip=skip)
    parser.set_defaults(func=run(handler), **defaults)
    return parser


# --------------------------------------------------------------------------- handlers


def list_every(
    action: Action,
    columns: Sequence[Column[Any]],
    filters: Callable[[Admin, argparse.Namespace], dict[str, Any]] | None = None,
) -> Handler:
    """Every item of a list action (page by page) as a table with ``columns``."""

    def handler(admin: Admin, args: argparse.Namespace) -> None:
        found = filters(admin, args) if filters else {}
        admin.listing(every(admin, action, **found), columns)

    return handler


def list_page(
    action: Action,
    query: type[BaseModel],
    columns: Sequence[Column[Any]],
    with_: Resolvers = resolvers,
) -> Handler:
    """One page of a list action, filtered by the query model's options (names or UUIDs)."""

    def handler(admin: Admin, args: argparse.Namespace) -> None:
        command = command_of(query, args, resolvers=with_(admin))
        admin.page(admin.do(action, query=command), columns)

    return handler


def list_command(
    actions: SubParsers, noun: str, query: type[BaseModel], handler: Handler
) -> argparse.ArgumentParser:
    """``list``: one page (newest first), filtered by the query model's fields."""
    text = f"list {noun} (a page: --offset, --limit)"
    return command(actions, "list", text, handler, model=query)


def show(action: Action, ref: Ref, skip: Sequence[str] = ()) -> Handler:
    """The object ``args.ref`` names, one line per field (but ``skip``)."""

    def handler(admin: Admin, args: argparse.Namespace) -> None:
        admin.show(admin.do(action, ref.path(admin, args.ref)), skip=skip)

    return handler


def update(
    action: Action, model: type[BaseModel], ref: Ref, with_: Resolvers | None = None
) -> Handler:
    """Change the object ``args.ref`` names with the command the options make."""

    def handler(admin: Admin, args: argparse.Namespace) -> None:
        path = ref.path(admin, args.ref)
        changes = command_of(model, args, resolvers=with_(admin) if with_ else None)
        detail = admin.do(action, path, body=changes)
        admin.result(detail, f"updated {ref.noun} {detail.name}")

    return handler


def change_one(action: Action, ref: Ref, done: str) -> Handler:
    """Enable, disable, delete... the object ``args.ref`` names: "<done> <noun> <ref>", or its
    UUID with ``--json``."""

    def handler(admin: Admin, args: argparse.Namespace) -> None:
        path = ref.path(admin, args.ref)
        admin.do(action, path)
        admin.result(UuidView(uuid=path[ref.key]), f"{done} {ref.noun} {args.ref}")

    return handler


def change_many(action: Action, ref: Ref, done: str, force: Action | None = None) -> Handler:
    """A bulk action on the objects ``args.refs`` name: "<done> <noun> <ref>" for each that
    succeeded, the failures (BulkMessage) on stderr; ``force``: the action of ``--force``."""

    def handler(admin: Admin, args: argparse.Namespace) -> None:
        uuids = [ref.uuid(admin, typed) for typed in args.refs]
        chosen = force if force is not None and args.force else action
        messages: list[BulkMessage] = admin.do(chosen, body=uuids)
        lines = [f"{done} {ref.noun} {typed}" for typed in args.refs]
        admin.bulk(zip(uuids, lines, strict=True), messages, ref.noun)

    return handler

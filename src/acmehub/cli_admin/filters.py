"""What the list commands share: a ``list`` sub-command whose options are a query model's
fields (filters, ``--offset``, ``--limit``), and the resolution of names to UUIDs."""

from __future__ import annotations

import argparse
import re
from typing import Any

from pydantic import BaseModel

from acmehub.cli_admin.base import Admin, Handler, acme_profile_ref, json_flag, ra_profile_ref, run
from acmehub.cli_admin.options import Resolver, add_options

_UUID = re.compile(r"^[0-9a-fA-F-]{36}$")


def list_command(
    actions: Any, noun: str, query: type[BaseModel], handler: Handler, **kwargs: Any
) -> argparse.ArgumentParser:
    """``list``: one page (newest first), filtered by the query model's fields."""
    listing: argparse.ArgumentParser = actions.add_parser(
        "list", parents=[json_flag()], help=f"list {noun} (a page: --offset, --limit)", **kwargs
    )
    add_options(listing, query)
    listing.set_defaults(func=run(handler))
    return listing


def resolvers(admin: Admin) -> dict[str, Resolver]:
    """Names or UUIDs of the objects a filter names (a UUID is taken as it is)."""
    return {
        "acme_profiles": lambda ref: acme_profile_ref(admin, ref),
        "ra_profiles": lambda ref: ref if _UUID.match(ref) else ra_profile_ref(admin, ref),
    }

"""The administration commands of `acmehub`: one module per object family.

They act in-process on the same services as the REST API (``bootstrap.build_container``, as
``services.admin.CLI_ACTOR``), so every rule lives once, in the services. Lists print tables,
``--json`` prints the API's JSON shapes, and a refusal prints its problem detail on stderr and
exits non-zero (see :mod:`acmehub.cli_admin.base`).
"""

from __future__ import annotations

import argparse

from acmehub.cli_admin import audit, openapi, tokens

#: Each module adds its family's sub-command (``token``, ``audit``...) to the parser.
FAMILIES = (tokens, audit, openapi)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for family in FAMILIES:
        family.register(sub)

"""The administration commands of `acmehub`: one module per object family.

They act in-process on the same services as the REST API (``bootstrap.build_container``, as
``services.admin.CLI_ACTOR``), so every rule lives once, in the services. Lists print tables,
``--json`` prints the API's JSON shapes, and a refusal prints its problem detail on stderr and
exits non-zero (see :mod:`acmehub.cli_admin.running`). A family module declares its
sub-commands with the builders of :mod:`acmehub.cli_admin.commands`.
"""

from __future__ import annotations

from acmehub.cli_admin import (
    accounts,
    acme_profiles,
    audit,
    authorities,
    certificate_profiles,
    certificates,
    eab,
    openapi,
    orders,
    ra_profiles,
    tokens,
    users,
)
from acmehub.cli_admin.running import SubParsers

#: Each module adds its family's sub-commands to the parser, in this order in --help.
FAMILIES = (
    authorities,
    ra_profiles,
    certificate_profiles,
    acme_profiles,
    accounts,
    eab,
    certificates,
    orders,
    tokens,
    users,
    audit,
    openapi,
)


def register(sub: SubParsers) -> None:
    for family in FAMILIES:
        family.register(sub)

"""`acmehub certificate-profile ...` on a state directory: the embedded default's two profiles
from `acmehub init`, then create, change, refusals and delete, each audited."""

from __future__ import annotations

import pytest

from tests.integration.test_cli_admin import Cli, _config, _rows


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    root = tmp_path_factory.mktemp("cli-cprof")
    made = Cli(_config(root, root / "state"))
    made.ok("init")
    return made


def test_init_offers_tlsserver_by_default_and_shortlived(cli: Cli) -> None:
    rows = _rows(cli.ok("certificate-profile", "list", "default"))
    assert rows[0][:7] == ["UUID", "NAME", "DEFAULT", "VALIDITY", "CRL DP", "CN", "EKUS"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["tlsserver"][2:6] == ["yes", "90d", "yes", "yes"]
    assert by_name["shortlived"][2:6] == ["no", "7d", "no", "yes"]


def test_create_change_refuse_and_delete(cli: Cli) -> None:
    out = cli.ok(
        "certificate-profile", "create", "default", "mtls",
        "--description", "client certificates", "--ekus", "clientAuth",
        "--common-name", "no", "--max-names", "1", "--validity", "86400",
    )  # fmt: skip
    assert "created certificate profile mtls on RA profile default" in out
    shown = cli.json("certificate-profile", "show", "default", "mtls")
    assert shown["extendedKeyUsages"] == ["clientAuth"]
    assert (shown["commonName"], shown["maxNames"], shown["validity"]) == (False, 1, 86400)
    assert shown["isDefault"] is False

    refused = cli.refused("certificate-profile", "create", "default", "mtls")
    assert "already offers a certificate profile mtls" in refused
    too_long = cli.refused(
        "certificate-profile", "update", "default", "mtls", "--validity", str(400 * 86400)
    )
    assert "validity must not exceed the RA profile's validityMax" in too_long

    cli.ok("certificate-profile", "update", "default", "mtls", "--default", "yes")
    listed = {p["name"]: p["isDefault"] for p in cli.json("certificate-profile", "list", "default")}
    assert listed == {"mtls": True, "shortlived": False, "tlsserver": False}
    assert "make another profile the default first" in cli.refused(
        "certificate-profile", "delete", "default", "mtls"
    )
    cli.ok("certificate-profile", "update", "default", "tlsserver", "--default", "yes")
    assert cli.ok("certificate-profile", "delete", "default", "mtls").strip() == (
        "deleted certificate profile mtls"
    )
    events = cli.json("audit", "list", "--limit", "20")
    items = events["items"] if isinstance(events, dict) else events
    actions = [e["action"] for e in items]
    assert "certificateProfile.create" in actions
    assert "certificateProfile.update" in actions
    assert "certificateProfile.delete" in actions

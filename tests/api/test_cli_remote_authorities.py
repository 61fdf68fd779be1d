"""`acmehub authority ...` and `acmehub ra-profile ...` driving the session's acmehub over its
REST API (``--server``), from a directory with no acmehub state: create, change, show, list,
enable/disable, activate ACME and delete, as on the server's machine."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest

from acmehub.ca.embedded import create_embedded_authority
from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.remote_cli import Remote, token_for
from tests.support.server import AcmehubServer


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def test_an_authority_is_created_shown_listed_switched_and_deleted_remotely(
    remote: Remote, acmehub: AcmehubServer
) -> None:
    name = unique("remote-ca")
    out = remote.ok("authority", "create", name, "--key-type", "ec-p384")
    assert f"created Authority {name}" in out
    shown = remote.json("authority", "show", name)
    assert (shown["name"], shown["keyType"], shown["enabled"]) == (name, "ec-p384", True)
    assert "BEGIN CERTIFICATE" in shown["chain"]
    # The CRL URL comes from the server's configured base URL.
    assert shown["crlUrl"] == f"{acmehub.base_url}/crl/{shown['uuid']}.crl"
    assert shown["chain"] in remote.ok("authority", "show", shown["uuid"], "--chain")
    table = remote.ok("authority", "list")
    assert table.splitlines()[0].split()[:3] == ["UUID", "NAME", "KIND"]
    assert name in table
    assert shown["uuid"] in [a["uuid"] for a in remote.json("authority", "list")]

    assert remote.ok("authority", "disable", name).strip() == f"disabled Authority {name}"
    stored = acmehub.container().services.authorities.get(CLI_ACTOR, shown["uuid"])
    assert stored.authority.enabled is False
    refused = remote("authority", "disable", name)
    assert refused.returncode == 1
    assert "is already disabled" in refused.stderr
    remote.ok("authority", "enable", name)
    assert remote.json("authority", "delete", name) == {"uuid": shown["uuid"]}
    missing = remote("authority", "show", name)
    assert missing.returncode == 1
    assert f"no Authority with the name or UUID {name}" in missing.stderr


def test_a_ca_is_imported_remotely_from_the_laptops_files(
    remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique("imported")
    files = create_embedded_authority(
        tmp_path / "ca", name=name, passphrase=b"secret", now=datetime.now(UTC)
    )
    monkeypatch.setenv("REMOTE_CA_PASS", "secret")
    created = remote.json(
        "authority", "create", name,
        "--import-cert", str(files["issuer_cert"]),
        "--import-key", str(files["issuer_key"]),
        "--import-chain", str(files["root_cert"]),
        "--passphrase-env", "REMOTE_CA_PASS",
    )  # fmt: skip
    shown = remote.json("authority", "show", created["uuid"])
    assert name in shown["certificate"]["subject"]
    half = remote("authority", "create", unique("half"), "--import-cert", str(files["issuer_cert"]))
    assert half.returncode == 1
    assert "--import-cert and --import-key go together" in half.stderr


def test_an_ra_profile_is_created_changed_activated_and_deleted_remotely(
    remote: Remote, acmehub: AcmehubServer
) -> None:
    name = unique("remote-ra")
    out = remote.ok(
        "ra-profile", "create", name, "--authority", "embedded",
        "--allow", ".example.com", "--wildcards", "no", "--max-names", "5",
        "--key-types", "ec-p256,rsa", "--validity-max", "172800", "--disabled",
    )  # fmt: skip
    assert f"created RA profile {name}" in out
    shown = remote.json("ra-profile", "show", name)
    assert shown["enabled"] is False
    assert shown["authority"]["name"] == "embedded"
    # Without a default of its own, the validity follows the shorter maximum.
    assert (shown["validityDefault"], shown["validityMax"]) == (172800, 172800)
    policy = shown["issuancePolicy"]
    assert policy["allowedIdentifiers"] == [".example.com"]
    assert (policy["allowWildcards"], policy["maxNames"]) == (False, 5)
    assert policy["allowedKeyTypes"] == ["ec-p256", "rsa"]

    # An update changes only what it names, the policy's fields one by one.
    updated = remote.json("ra-profile", "update", name, "--deny", "bad.example.com")
    assert updated["issuancePolicy"]["deniedIdentifiers"] == ["bad.example.com"]
    assert updated["issuancePolicy"]["allowedIdentifiers"] == [".example.com"]
    stored = acmehub.container().services.ra_profiles.get(CLI_ACTOR, shown["uuid"]).profile
    assert stored.policy.denied_identifiers == ("bad.example.com",)
    bad = remote("ra-profile", "update", name, "--max-names", "0")
    assert bad.returncode == 1
    assert "issuancePolicy.maxNames must be an integer between 1 and 100" in bad.stderr
    too_long = remote("ra-profile", "update", name, "--validity-default", "999999")
    assert too_long.returncode == 1
    assert "validityDefault must not exceed validityMax" in too_long.stderr

    remote.ok("ra-profile", "enable", name)
    table = remote.ok("ra-profile", "list", "--authority", "embedded", "--search", name)
    rows = table.strip().splitlines()
    assert rows[0].split()[:3] == ["UUID", "NAME", "ENABLED"]
    assert len(rows) == 2
    assert name in rows[1]
    listed = remote.json("ra-profile", "list", "--search", name)
    assert [r["uuid"] for r in listed] == [shown["uuid"]]

    acme = acmehub.container().services.platform.create_acme_profile(unique("remote-acme"))
    activated = remote.json(
        "ra-profile", "activate-acme", name, acme.name, "--issue-attributes", '{"team": "web"}'
    )
    assert activated["acmeAvailable"] is True
    assert activated["issueCertificateAttributes"] == {"team": "web"}
    assert activated["directoryUrl"] == f"{acmehub.base_url}/acme/raProfile/{name}/directory"
    assert remote.json("ra-profile", "acme", name)["name"] == acme.name
    remote.ok("ra-profile", "deactivate-acme", name)
    assert remote.json("ra-profile", "acme", name)["acmeAvailable"] is False

    assert remote.ok("ra-profile", "delete", name).strip() == f"deleted RA profile {name}"
    assert shown["uuid"] not in [r["uuid"] for r in remote.json("ra-profile", "list")]


def test_the_tokens_role_limits_the_authority_commands(
    remote: Remote, acmehub: AcmehubServer
) -> None:
    auditor = token_for(acmehub, Role.AUDITOR)
    assert remote("ra-profile", "list", token=auditor).returncode == 0
    refused = remote("authority", "create", unique("no"), token=auditor)
    assert refused.returncode == 1
    assert "admin role" in refused.stderr
    refused = remote("ra-profile", "create", unique("no"), "--authority", "embedded", token=auditor)
    assert refused.returncode == 1
    assert "admin role" in refused.stderr

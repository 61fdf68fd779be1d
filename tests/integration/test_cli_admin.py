"""The administration CLI as an operator runs it, on a state directory.

Tables for people, ``--json`` in the API's shapes for scripts, and refusals as the problem
detail on stderr with exit status 1 (2 for usage errors). Most calls run ``acmehub.cli.main``
in this process (a new interpreter costs seconds per command); the exit-status tests run the
real ``python -m acmehub.cli`` subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from acmehub.cli import main


@dataclass(frozen=True)
class Cli:
    config: Path
    subprocess: bool = False

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = ["--config", str(self.config), *args]
        if self.subprocess:
            return subprocess.run(
                [sys.executable, "-m", "acmehub.cli", *argv],
                env={k: v for k, v in os.environ.items() if not k.startswith("ACMEHUB_")},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's usage errors
                code = int(exc.code or 0)
        return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def refused(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert result.stdout == ""
        return result.stderr


def _config(directory: Path, state: Path) -> Path:
    config = directory / "acmehub.toml"
    config.write_text(f'state_dir = "{state}"\nlisten_port = 8443\n')
    return config


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    root = tmp_path_factory.mktemp("cli-admin")
    made = Cli(_config(root, root / "state"))
    made.ok("init")
    return made


@pytest.fixture
def process(cli: Cli) -> Cli:
    """The same state directory through a real ``python -m acmehub.cli`` process."""
    return Cli(cli.config, subprocess=True)


def _rows(table: str) -> list[list[str]]:
    """A printed table as rows of cells (split on runs of two or more spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.strip().splitlines()]


def test_token_lifecycle_prints_the_secret_once_and_is_audited(cli: Cli, process: Cli) -> None:
    created = process("token", "create", "ci-bot", "--role", "operator")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("acmehub_")
    assert len(secret.splitlines()) == 1  # the secret alone: TOKEN=$(acmehub token create ...)
    assert "not shown again" in created.stderr

    assert "token ci-bot already exists" in cli.refused(
        "token", "create", "ci-bot", "--role", "admin"
    )

    rows = _rows(cli.ok("token", "list"))
    assert rows[0] == ["NAME", "ROLE", "CREATED", "REVOKED", "EXPIRES", "SCOPES"]
    assert rows[1][:2] == ["ci-bot", "operator"]
    assert rows[1][3] == "-"
    listed = cli.json("token", "list")
    assert [t["name"] for t in listed] == ["ci-bot"]
    assert set(listed[0]) == {
        "uuid",
        "name",
        "role",
        "createdAt",
        "revokedAt",
        "expiresAt",
        "scopes",
    }

    assert cli.ok("token", "revoke", "ci-bot").strip() == "revoked token ci-bot"
    assert cli.json("token", "list")[0]["revokedAt"] is not None
    assert "no token named nobody" in cli.refused("token", "revoke", "nobody")

    page = cli.json("audit", "list", "--object-type", "token", "--object-id", "ci-bot")
    assert [(e["action"], e["actor"]) for e in page["items"]] == [
        ("token.revoke", "cli"),
        ("token.create", "cli"),
    ]
    assert page["hasMore"] is False
    table = _rows(cli.ok("audit", "list", "--action", "token.create", "--since", "2020-01-01"))
    assert table[0] == ["ID", "AT", "ACTOR", "ACTION", "OBJECT", "OUTCOME", "DETAIL"]
    assert table[1][2:6] == ["cli", "token.create", "token:ci-bot", "success"]


def test_platform_objects_are_managed_end_to_end(cli: Cli) -> None:
    authority = cli.json("authority", "create", "Second CA", "--key-type", "ec-p384")["uuid"]
    shown = cli.json("authority", "show", "Second CA")
    assert shown["uuid"] == authority
    assert shown["keyType"] == "ec-p384"
    assert "BEGIN CERTIFICATE" in shown["chain"]
    # RFC 8555 §7.4.2: a cross-sign gives the Authority an alternate chain.
    assert "alternate chains: 1" in cli.ok("authority", "cross-sign", "Second CA")
    assert len(cli.json("authority", "show", "Second CA")["alternateChains"]) == 1

    cli.ok(
        "ra-profile", "create", "strict", "--authority", authority,
        "--allow", ".example.com", "--wildcards", "no", "--max-names", "5",
        "--max-labels", "4", "--validity-default", "86400", "--validity-max", "172800",
    )  # fmt: skip
    ra = cli.json("ra-profile", "show", "strict")
    assert ra["authority"] == {"uuid": authority, "name": "Second CA"}
    policy = ra["issuancePolicy"]
    assert policy["allowedIdentifiers"] == [".example.com"]
    assert policy["allowWildcards"] is False
    assert (policy["maxNames"], policy["maxLabels"]) == (5, 4)
    # An update changes only what it names.
    cli.ok("ra-profile", "update", "strict", "--deny", "bad.example.com")
    policy = cli.json("ra-profile", "show", "strict")["issuancePolicy"]
    assert policy["deniedIdentifiers"] == ["bad.example.com"]
    assert policy["maxLabels"] == 4
    assert policy["allowedIdentifiers"] == [".example.com"]
    # IP identifiers (RFC 8738): none until networks are named.
    assert policy["allowedIpNetworks"] == []
    cli.ok("ra-profile", "update", "strict", "--allow-ip", "10.0.0.0/8", "--allow-ip", "::1")
    policy = cli.json("ra-profile", "show", "strict")["issuancePolicy"]
    assert policy["allowedIpNetworks"] == ["10.0.0.0/8", "::1/128"]
    assert "allowedIpNetworks" in cli.refused(
        "ra-profile", "update", "strict", "--allow-ip", "10.0.0.1/8"
    )

    out = cli.ok("acme-profile", "create", "shop", "--ra-profile", "strict", "--require-eab", "yes")
    assert "disabled" in out  # new profiles start disabled
    cli.ok("acme-profile", "enable", "shop")
    profile = cli.json("acme-profile", "show", "shop")
    assert profile["enabled"] is True
    assert profile["requireExternalAccountBinding"] is True
    assert profile["raProfile"]["name"] == "strict"
    assert profile["directoryUrl"] == "https://127.0.0.1:8443/acme/shop/directory"

    activated = cli.json("ra-profile", "activate-acme", "strict", "shop")
    assert activated["acmeAvailable"] is True
    assert activated["directoryUrl"] == "https://127.0.0.1:8443/acme/raProfile/strict/directory"

    key = cli.json("eab", "create", "shop", "--valid-for", "3600", "--description", "ci")
    assert key["state"] == "active"
    assert len(key["hmacKey"]) >= 43
    keys = _rows(cli.ok("eab", "list", "shop"))
    assert keys[1][:3] == [key["keyId"], "HS256", "active"]
    cli.ok("eab", "revoke", "shop", key["keyId"])
    assert cli.json("eab", "show", "shop", key["keyId"])["state"] == "revoked"
    assert key["hmacKey"] not in cli.ok("eab", "list", "shop", "--json")

    # The rules are the services': in use, so not deleted; the refusal says why.
    refusal = cli.refused("acme-profile", "delete", "shop")
    assert "activated on RA Profile(s) strict" in refusal
    assert "Second CA is used by 1 RA Profile(s): strict" in cli.refused(
        "authority", "delete", "Second CA"
    )
    actions = {e["action"] for e in cli.json("audit", "list", "--actor", "cli")["items"]}
    assert {"authority.create", "raProfile.activateAcme", "eabKey.revoke"} <= actions


def test_the_newer_dns_challenges_are_switched_on_from_the_cli(cli: Cli) -> None:
    cli.ok("acme-profile", "create", "persist", "--caa-identity", "ca.example.com")
    cli.ok(
        "acme-profile", "update", "persist",
        "--offer-dns-account-01", "yes", "--offer-dns-persist-01", "yes",
    )  # fmt: skip
    shown = cli.json("acme-profile", "show", "persist")
    assert (shown["offerDnsAccount01"], shown["offerDnsPersist01"]) == (True, True)
    cli.ok("acme-profile", "update", "persist", "--offer-dns-account-01", "no")
    assert cli.json("acme-profile", "show", "persist")["offerDnsAccount01"] is False


def test_inventories_print_empty_tables(cli: Cli) -> None:
    assert _rows(cli.ok("account", "list"))[1] == ["(none)"]
    certificates = cli.json("certificate", "list", "--status", "valid")
    assert certificates == {"items": [], "offset": 0, "limit": 100, "total": 0, "hasMore": False}
    assert "Certificate not found" in cli.refused("certificate", "show", "nope")


def test_refusals_are_problem_documents_with_json(process: Cli) -> None:
    result = process("acme-profile", "show", "no-such-profile", "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    problem = json.loads(result.stderr)
    assert problem == {
        "type": "https://acmehub.dev/problems/notFound",
        "title": "Not found",
        "status": 404,
        "detail": "no ACME Profile with the name or UUID no-such-profile",
        "code": "notFound",
    }
    invalid = process("acme-profile", "create", "raProfile", "--json")
    assert json.loads(invalid.stderr)["status"] == 422


def test_usage_errors_exit_2_and_uninitialized_state_says_so(process: Cli, tmp_path: Path) -> None:
    usage = process("token", "create", "x", "--role", "root")
    assert usage.returncode == 2
    assert "invalid choice: 'root'" in usage.stderr
    empty = Cli(_config(tmp_path, tmp_path / "none"), subprocess=True)
    assert "is not initialized: run `acmehub init` first" in empty.refused("token", "list")
    assert not (tmp_path / "none").exists()


def test_tokens_take_an_expiry_and_scopes(cli: Cli, process: Cli) -> None:
    made = cli.json(
        "token",
        "create",
        "scoped-bot",
        "--role",
        "operator",
        "--expires-in",
        "12h",
        "--scope",
        "certificates:write,orders:read",
        "--scope",
        "acmeAccounts:read",
    )
    created = datetime.fromisoformat(made["createdAt"])
    assert datetime.fromisoformat(made["expiresAt"]) - created == timedelta(hours=12)
    assert made["scopes"] == ["acmeAccounts:read", "certificates:write", "orders:read"]

    forever = cli.json(
        "token", "create", "forever-bot", "--role", "auditor", "--expires-in", "never"
    )
    assert forever["expiresAt"] is None
    dated = cli.json(
        "token", "create", "dated-bot", "--role", "auditor", "--expires-at", "2099-01-02"
    )
    assert dated["expiresAt"] == "2099-01-02T00:00:00Z"
    rows = {row[0]: row for row in _rows(cli.ok("token", "list"))[1:]}
    assert rows["scoped-bot"][5] == "acmeAccounts:read certificates:write orders:read"
    assert rows["dated-bot"][4] == "2099-01-02 00:00:00Z"

    assert "unknown scope(s) certificates:delete" in cli.refused(
        "token", "create", "bad-bot", "--role", "admin", "--scope", "certificates:delete"
    )
    assert "is not in the future" in cli.refused(
        "token", "create", "old-bot", "--role", "admin", "--expires-at", "2001-01-01"
    )
    usage = process("token", "create", "x", "--role", "admin", "--expires-in", "soon")
    assert usage.returncode == 2
    assert "e.g. 90d, or never" in usage.stderr


def test_pre_authorization_and_reuse_from_the_cli(cli: Cli) -> None:
    cli.ok("acme-profile", "create", "preauth")
    refusal = cli.refused("acme-profile", "update", "preauth", "--subdomain-auth", "yes")
    assert "subdomainAuthAllowed needs newAuthzEnabled" in refusal
    cli.ok(
        "acme-profile",
        "update",
        "preauth",
        "--new-authz",
        "yes",
        "--subdomain-auth",
        "yes",
        "--authorization-reuse",
        "2592000",
    )
    profile = cli.json("acme-profile", "show", "preauth")
    assert profile["newAuthzEnabled"] is True
    assert profile["subdomainAuthAllowed"] is True
    assert profile["authorizationReuse"] == 2592000

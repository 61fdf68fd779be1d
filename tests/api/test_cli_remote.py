"""The administration CLI driving a running acmehub over its REST API (``--server``): the same
commands, options and output as on the server's machine, from a directory with no acmehub
state at all (an operator's laptop)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
from pathlib import Path

from acmehub.cli import main
from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.remote_cli import Remote, token_for
from tests.support.server import AcmehubServer


def test_a_profile_is_created_changed_and_shown_remotely(
    remote: Remote, acmehub: AcmehubServer
) -> None:
    name = f"remote-{secrets.token_hex(4)}"
    out = remote.ok("acme-profile", "create", name, "--retry-interval", "7", "--require-eab", "yes")
    assert f"created ACME profile {name}" in out
    remote.ok("acme-profile", "update", name, "--website-url", "https://example.com/")
    shown = remote.json("acme-profile", "show", name)
    assert shown["retryInterval"] == 7
    assert shown["requireExternalAccountBinding"] is True
    assert shown["websiteUrl"] == "https://example.com/"
    # URLs come from the server's configured base URL, not the laptop's configuration.
    assert shown["directoryUrl"] == f"{acmehub.base_url}/acme/{name}/directory"
    # What the server stored is what the CLI printed.
    stored = acmehub.container().services.acme_profiles.detail(CLI_ACTOR, shown["uuid"])
    assert stored.retry_interval == 7
    table = remote.ok("acme-profile", "list")
    assert name in table
    assert "DIRECTORY" in table.splitlines()[0]


def test_refusals_come_back_with_the_servers_problem(remote: Remote) -> None:
    result = remote("acme-profile", "create", "raProfile", "--json")
    assert result.returncode == 1
    problem = json.loads(result.stderr)
    assert problem["status"] == 422
    assert "name" in problem["detail"]
    bad = remote("acme-profile", "create", f"r-{secrets.token_hex(3)}", "--retry-interval", "0")
    assert bad.returncode == 1
    assert "retryInterval must be an integer between 1" in bad.stderr


def test_the_tokens_role_limits_what_the_cli_may_do(remote: Remote, acmehub: AcmehubServer) -> None:
    auditor = token_for(acmehub, Role.AUDITOR)
    listed = remote("acme-profile", "list", token=auditor)
    assert listed.returncode == 0, listed.stderr
    refused = remote("acme-profile", "create", f"a-{secrets.token_hex(3)}", token=auditor)
    assert refused.returncode == 1
    assert "admin role" in refused.stderr
    unknown = remote("acme-profile", "list", token="not-a-token")
    assert unknown.returncode == 1
    assert "unknown or revoked" in unknown.stderr


def test_a_profile_of_the_cli_configuration_names_the_server(
    remote: Remote, acmehub: AcmehubServer, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(remote.token + "\n")
    token_file.chmod(0o600)
    cli_config = tmp_path / "cli.toml"
    cli_config.write_text(
        f'[profiles.prod]\nserver = "{acmehub.base_url}"\n'
        f'token_file = "{token_file}"\nca_file = "{acmehub.ca_bundle}"\n'
    )
    os.environ["ACMEHUB_CLI_CONFIG"] = str(cli_config)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(remote.config), "acme-profile", "list", "--profile", "prod"])
    assert code == 0, err.getvalue()
    assert out.getvalue().splitlines()[0].split()[:2] == ["UUID", "NAME"]
    # A token written into the configuration file must not be readable by others.
    cli_config.write_text(f'[profiles.open]\nserver = "{acmehub.base_url}"\ntoken = "x"\n')
    cli_config.chmod(0o644)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(remote.config), "acme-profile", "list", "--profile", "open"])
    assert code == 1
    assert f"chmod 600 {cli_config}" in err.getvalue()

"""The administration CLI run against the session's live acmehub with ``--server``: from a
directory with no acmehub state (an operator's laptop). Use the ``remote`` fixture
(tests/api/conftest.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from acmehub.cli import main
from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer


class Remote:
    def __init__(self, acmehub: AcmehubServer, token: str, home: Path) -> None:
        self.acmehub = acmehub
        self.token = token
        # No configuration of the server's: a config file pointing at an empty directory.
        self.config = home / "laptop.toml"
        self.config.write_text(f'state_dir = "{home / "nothing-here"}"\n')

    def __call__(self, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = [
            "--config",
            str(self.config),
            *args,
            "--server",
            self.acmehub.base_url,
            "--token",
            token or self.token,
            "--ca-file",
            str(self.acmehub.ca_bundle),
        ]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))


def token_for(acmehub: AcmehubServer, role: Role) -> str:
    name = f"laptop-{role.value}-{secrets.token_hex(4)}"
    _, secret = acmehub.container().services.tokens.create(CLI_ACTOR, name, role)
    return secret


def remote_session(acmehub: AcmehubServer, tmp_path: Path) -> Iterator[Remote]:
    """An admin's CLI on a laptop; the process's ACMEHUB_* variables set aside meanwhile."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("ACMEHUB_")}
    for key in saved:
        del os.environ[key]
    try:
        yield Remote(acmehub, token_for(acmehub, Role.ADMIN), tmp_path)
    finally:  # also drop what the test set (ACMEHUB_CLI_CONFIG...)
        for key in [k for k in os.environ if k.startswith("ACMEHUB_")]:
            del os.environ[key]
        os.environ.update(saved)

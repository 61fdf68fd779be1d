"""`acmehub user create|list|disable|enable|password`, run in this process on a state directory."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

from acmehub import bootstrap, setup_state
from acmehub.cli import main
from acmehub.config import load_settings

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-users")
    path = root / "acmehub.toml"
    path.write_text(f'state_dir = "{root / "state"}"\n')
    setup_state.init_state(load_settings(path, {})).engine.dispose()
    return path


def run(
    config: Path, monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(config), *args])
    return code, out.getvalue(), err.getvalue()


def test_create_list_disable_enable(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(
        config, monkeypatch, "user", "create", "alice", "--role", "admin", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert (code, out) == (0, "created user alice with role admin\n")
    code, out, _ = run(config, monkeypatch, "user", "list", "--json")
    [alice] = [u for u in json.loads(out) if u["username"] == "alice"]
    assert (alice["role"], alice["disabled"]) == ("admin", False)
    assert "password" not in json.dumps(alice).lower().replace("passwordhash", "")
    assert run(config, monkeypatch, "user", "disable", "alice")[0] == 0
    code, _, err = run(config, monkeypatch, "user", "disable", "alice")
    assert (code, err) == (1, "acmehub: user alice is already disabled\n")
    assert run(config, monkeypatch, "user", "enable", "alice")[0] == 0
    code, out, _ = run(config, monkeypatch, "user", "list")
    assert out.splitlines()[0].split() == [
        "USERNAME",
        "ROLE",
        "DISABLED",
        "CREATED",
        "LAST",
        "SIGN-IN",
    ]
    assert "alice" in out


def test_the_password_is_checked_and_never_taken_from_a_missing_terminal(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(
        config, monkeypatch, "user", "create", "bob", "--role", "auditor", "--password-stdin",
        stdin="short\n",
    )  # fmt: skip
    assert (code, err) == (1, "acmehub: password must be 10-1000 characters long\n")
    code, _, err = run(config, monkeypatch, "user", "create", "bob", "--role", "auditor")
    assert code == 1
    assert "--password-stdin" in err


def test_a_new_password_works_and_the_old_one_does_not(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(
        config, monkeypatch, "user", "create", "carol", "--role", "operator", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    code, _, _ = run(
        config, monkeypatch, "user", "password", "carol", "--password-stdin",
        stdin="a brand new password\n",
    )  # fmt: skip
    assert code == 0
    container = bootstrap.build_container(load_settings(config, {}))
    try:
        users = container.services.users
        assert users.check_password("carol", "a brand new password")[0] is not None
        assert users.check_password("carol", PASSWORD) == (None, "bad password")
    finally:
        container.engine.dispose()

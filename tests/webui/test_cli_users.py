"""`acmehub user create|list|disable|enable|password`, run in this process on a state directory."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from acmehub import bootstrap, setup_state
from acmehub.cli import main
from acmehub.config import load_settings
from acmehub.domain.errors import DomainError
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import CLI_ACTOR

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


def test_unlock_lifts_a_lock_out_after_failed_sign_ins(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, _ = run(
        config, monkeypatch, "user", "create", "dave", "--role", "operator", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0
    container = bootstrap.build_container(load_settings(config, {}))
    try:
        services = container.services
        lockout_after = services.sessions.throttle.policy.lockout_after
        with services.deps.uow(write=True) as tx:  # ten failures, as spaced-out guesses leave
            now = container.clock.now()
            for _ in range(lockout_after):
                tx.sign_in_failures.add_failure("user:dave", now, now - timedelta(days=1))
            tx.sign_in_failures.lock("user:dave", now)
        with pytest.raises(DomainError) as locked:
            services.sessions.sign_in("dave", PASSWORD, source="192.0.2.1")
        assert "this user is locked" in locked.value.detail

        code, out, _ = run(config, monkeypatch, "user", "unlock", "dave")
        assert (code, out) == (0, "unlocked user dave\n")
        services.sessions.sign_in("dave", PASSWORD, source="192.0.2.1")
        code, out, _ = run(config, monkeypatch, "user", "unlock", "dave", "--json")
        assert (code, json.loads(out)) == (0, {"username": "dave", "wasLocked": False})
        code, _, err = run(config, monkeypatch, "user", "unlock", "nobody")
        assert (code, err) == (1, "acmehub: no user named nobody\n")
        events = services.audit_log.list(
            CLI_ACTOR, AuditFilter(action="user.unlock"), Page(0, 10)
        ).events
        assert [(e.actor, e.detail["wasLocked"]) for e in events] == [("cli", False), ("cli", True)]
    finally:
        container.engine.dispose()

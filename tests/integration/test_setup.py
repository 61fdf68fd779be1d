"""Setting up finishes whatever is missing: `acmehub init` and `acmehub migrate`, in either
order, twice, or from two machines at once, on SQLite and on PostgreSQL, through the real CLI.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from acmehub.bootstrap import build_container
from acmehub.ca.embedded import create_embedded_authority
from acmehub.ca.embedded.sealing import new_kek_text
from acmehub.config import load_settings
from acmehub.services.admin import SYSTEM_ACTOR
from tests.support.postgres import PostgresCluster

ORDERS = [("migrate", "init"), ("init", "migrate"), ("init", "init")]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "acmehub.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment of one machine: a state directory, and a fresh PostgreSQL database
    for the PostgreSQL run."""
    env = {"ACMEHUB_STATE_DIR": str(tmp_path / "state")}
    if request.param == "postgresql":
        postgres: PostgresCluster = request.getfixturevalue("postgres")
        env["ACMEHUB_DATABASE_URL"] = postgres.new_database("setup")
    return env


def set_up_state(env: dict[str, str]) -> tuple[list[str], list[str | None]]:
    """The Authorities' names and whether each opens here (None) or why not; the default
    profiles must be there and linked."""
    container = build_container(load_settings(None, env), environ=env)
    try:
        with container.services.deps.uow() as tx:
            acme = tx.profiles.acme_profile_by_name("default")
            ra = tx.profiles.ra_profile_by_name("default")
        assert acme is not None
        assert acme.enabled
        assert ra is not None
        assert ra.acme_profile_uuid == acme.uuid
        assert acme.default_ra_profile_uuid == ra.uuid
        views = container.services.authorities.list_all(SYSTEM_ACTOR)
        return [v.authority.name for v in views], [v.problem for v in views]
    finally:
        container.engine.dispose()


@pytest.mark.parametrize(("first", "second"), ORDERS)
def test_setting_up_in_either_order_leaves_one_working_authority(
    database: dict[str, str], first: str, second: str
) -> None:
    one = run_cli(first, env=database)
    assert one.returncode == 0, one.stderr
    assert "schema: migrated to" in one.stdout
    assert "embedded authority: created" in one.stdout
    assert "default ACME profile: created" in one.stdout
    two = run_cli(second, env=database)
    assert two.returncode == 0, two.stderr
    assert "schema: already at" in two.stdout
    assert "embedded authority and default profiles: set up before" in two.stdout
    assert "created" not in two.stdout
    assert set_up_state(database) == (["embedded"], [None])
    bundle = Path(database["ACMEHUB_STATE_DIR"]) / "ca" / "root.pem"
    assert bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_two_machines_setting_up_one_database_at_once_make_one_authority(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    shared = {
        "ACMEHUB_DATABASE_URL": postgres.new_database("setup_race"),
        "ACMEHUB_CA_KEK": new_kek_text(),
    }
    envs = [{**shared, "ACMEHUB_STATE_DIR": str(tmp_path / f"machine-{n}")} for n in (1, 2)]
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "acmehub.cli", "init"],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    outputs = [proc.communicate(timeout=120) for proc in started]
    for proc, (_out, err) in zip(started, outputs, strict=True):
        assert proc.returncode == 0, err
    created = [out for out, _ in outputs if "embedded authority: created" in out]
    assert len(created) == 1, [out for out, _ in outputs]
    for env in envs:
        assert set_up_state(env) == (["embedded"], [None])


def test_a_second_machine_without_the_kek_is_told_what_to_copy(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = postgres.new_database("setup_kek")
    first = {"ACMEHUB_DATABASE_URL": url, "ACMEHUB_STATE_DIR": str(tmp_path / "one")}
    assert run_cli("init", env=first).returncode == 0
    second = {"ACMEHUB_DATABASE_URL": url, "ACMEHUB_STATE_DIR": str(tmp_path / "two")}
    refused = run_cli("init", env=second)
    assert refused.returncode == 1
    kek = tmp_path / "two" / "ca" / "kek"
    assert f"copy the KEK file of the machine that set it up to {kek}" in refused.stderr
    kek.parent.mkdir(parents=True)
    kek.write_bytes((tmp_path / "one" / "ca" / "kek").read_bytes())
    kek.chmod(0o600)
    again = run_cli("init", env=second)
    assert again.returncode == 0, again.stderr
    assert set_up_state(second) == (["embedded"], [None])


def test_start_up_refuses_secret_files_others_can_read(tmp_path: Path) -> None:
    env = {"ACMEHUB_STATE_DIR": str(tmp_path / "state")}
    assert run_cli("init", env=env).returncode == 0
    kek = tmp_path / "state" / "ca" / "kek"
    kek.chmod(0o644)
    refused = run_cli("serve", env=env)
    assert refused.returncode == 1
    assert f"{kek} holds a secret but is readable by group or others" in refused.stderr
    assert f"chmod 600 {kek}" in refused.stderr
    kek.chmod(0o600)

    # An Authority from before keys were kept in the database: its key file is checked too,
    # and once it is private, set-up moves the keys in.
    settings = load_settings(None, env)
    container = build_container(settings)
    try:
        config = create_embedded_authority(
            tmp_path / "old-ca", name="old", now=container.clock.now()
        )
        container.services.platform.create_authority("old", "embedded", config)
    finally:
        container.engine.dispose()
    key = Path(config["issuer_key"])
    key.chmod(0o640)
    refused = run_cli("migrate", env=env)
    assert refused.returncode == 1
    assert f"chmod 600 {key}" in refused.stderr
    key.chmod(0o600)
    moved = run_cli("migrate", env=env)
    assert moved.returncode == 0, moved.stderr
    assert "authority old: keys moved from files into the database" in moved.stdout
    for path in (tmp_path / "old-ca").iterdir():  # the files are not needed any more
        path.unlink()
    assert set_up_state(env) == (["embedded", "old"], [None, None])
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600

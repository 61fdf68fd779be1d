"""`acmehub init` and `acmehub serve` as a newcomer runs them."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from cryptography import x509

from acmehub.bootstrap import build_container
from acmehub.config import load_settings
from acmehub.services.admin import SYSTEM_ACTOR


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "acmehub.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version_names_the_public_suffix_list(tmp_path: Path) -> None:
    """The identifier policy's Public Suffix List ships in a pinned package: which list it is."""
    result = run_cli("--version", env={"ACMEHUB_STATE_DIR": str(tmp_path / "none")})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("acmehub ")
    assert re.fullmatch(
        r"public suffix list: publicsuffixlist \S+ \(list \d{4}-\d\d-\d\d\S*, ICANN section\)",
        lines[1],
    ), lines
    assert not (tmp_path / "none").exists()


def test_init_creates_state_with_private_keys_and_default_profiles(tmp_path: Path) -> None:
    env = {"ACMEHUB_STATE_DIR": str(tmp_path / "state")}
    result = run_cli("init", env=env)
    assert result.returncode == 0, result.stderr
    assert "/acme/default/directory" in result.stdout
    assert "/acme/raProfile/default/directory" in result.stdout
    ca_dir = tmp_path / "state" / "ca"
    for key in ca_dir.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    root = x509.load_pem_x509_certificate((ca_dir / "root.pem").read_bytes())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    container = build_container(load_settings(None, env))
    try:
        with container.services.deps.uow() as tx:
            acme = tx.profiles.acme_profile_by_name("default")
            assert acme is not None
            assert acme.enabled
            ra = tx.profiles.ra_profile_by_name("default")
            assert ra is not None
            assert ra.enabled
            assert acme.default_ra_profile_uuid == ra.uuid
            assert ra.acme_profile_uuid == acme.uuid
    finally:
        container.engine.dispose()
    assert stat.S_IMODE((ca_dir / "kek").stat().st_mode) == 0o600
    # Running it again finishes nothing more and says so (tests/integration/test_setup.py).
    again = run_cli("init", env=env)
    assert again.returncode == 0, again.stderr
    assert "embedded authority and default profiles: set up before" in again.stdout


def test_init_with_passphrase_encrypts_the_ca_keys(tmp_path: Path) -> None:
    env = {
        "ACMEHUB_STATE_DIR": str(tmp_path / "state"),
        "ACMEHUB_CA_PASSPHRASE": "correct horse battery staple",
        "ACMEHUB_CA_KEY_TYPE": "rsa-3072",
    }
    result = run_cli("init", env=env)
    assert result.returncode == 0, result.stderr
    for key in (tmp_path / "state" / "ca").glob("*.key"):
        assert b"ENCRYPTED" in key.read_bytes()
    root = x509.load_pem_x509_certificate((tmp_path / "state" / "ca" / "root.pem").read_bytes())
    assert root.public_key().key_size == 3072  # type: ignore[union-attr]


def test_invalid_configuration_names_the_field_and_fails(tmp_path: Path) -> None:
    result = run_cli(
        "serve", env={"ACMEHUB_STATE_DIR": str(tmp_path / "s"), "ACMEHUB_LISTEN_PORT": "0"}
    )
    assert result.returncode == 2
    assert "listen_port" in result.stderr


def test_plain_http_behind_a_proxy_uses_the_external_base_url(tmp_path: Path) -> None:
    import httpx

    from tests.support.procs import free_port, poll, port_open, stop_process

    port = free_port()
    env = {
        "ACMEHUB_STATE_DIR": str(tmp_path / "state"),
        "ACMEHUB_TLS_MODE": "off",
        "ACMEHUB_LISTEN_PORT": str(port),
        "ACMEHUB_EXTERNAL_BASE_URL": "https://acme.example.test",
    }
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "acmehub.cli", "serve"],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        poll(lambda: port_open(port), 60, "acmehub to listen")
        directory = httpx.get(f"http://127.0.0.1:{port}/acme/default/directory", timeout=5).json()
        assert directory["newNonce"] == "https://acme.example.test/acme/default/new-nonce"
        alias = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/protocols/acme/raProfile/default/directory",
            timeout=5,
        ).json()
        assert alias["newOrder"] == (
            "https://acme.example.test/api/v1/protocols/acme/raProfile/default/new-order"
        )
    finally:
        stop_process(proc)
        log.close()
    printed = (tmp_path / "serve.log").read_text()
    assert "https://acme.example.test/acme/default/directory" in printed
    assert "root.pem" in printed


def test_db_stats_backup_and_restore(tmp_path: Path) -> None:
    env = {"ACMEHUB_STATE_DIR": str(tmp_path / "state")}
    assert run_cli("init", env=env).returncode == 0
    stats = run_cli("db", "stats", env=env)
    assert stats.returncode == 0, stats.stderr
    rows = {line.split()[0]: line.split()[1] for line in stats.stdout.splitlines()[1:]}
    assert rows["acme_profiles"] == "1"
    assert rows["ra_profiles"] == "1"
    assert rows["certificates"] == "0"

    archive = tmp_path / "backup.tar.gz"
    backup = run_cli("backup", str(archive), env=env)
    assert backup.returncode == 0, backup.stderr
    # It holds the CA keys and the key-encryption key: the owner's alone.
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    restored_env = {"ACMEHUB_STATE_DIR": str(tmp_path / "restored")}
    restore = run_cli("restore", str(archive), env=restored_env)
    assert restore.returncode == 0, restore.stderr
    for key in (tmp_path / "restored" / "ca").rglob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "restored" / "ca" / "kek").stat().st_mode) == 0o600
    container = build_container(load_settings(None, restored_env))
    try:
        with container.services.deps.uow() as tx:
            acme = tx.profiles.acme_profile_by_name("default")
            assert acme is not None
            assert acme.enabled
        # The restored CA opens with the restored key-encryption key.
        for restored in container.services.authorities.list_all(SYSTEM_ACTOR):
            assert restored.problem is None, restored.problem
    finally:
        container.engine.dispose()
    again = run_cli("restore", str(archive), env=restored_env)
    assert again.returncode == 1
    assert "already holds a database" in again.stderr

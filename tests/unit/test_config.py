"""Settings: TOML file, ACMEHUB_* overrides, errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from acmehub.config import ConfigError, load_settings


def test_defaults_are_safe_and_local() -> None:
    settings = load_settings(None, {})
    assert settings.listen_host == "127.0.0.1"
    assert settings.listen_port == 8443
    assert settings.tls_mode == "embedded"
    assert settings.base_url == "https://127.0.0.1:8443"
    assert settings.database.startswith("sqlite:///")
    assert settings.database.endswith("acmehub-state/acmehub.db")
    assert settings.caa_recheck_seconds == 7 * 3600  # Boulder's figure


def test_file_then_environment_override(tmp_path: Path) -> None:
    config = tmp_path / "acmehub.toml"
    config.write_text('listen_port = 9000\nhttp01_port = 5002\ntls_hosts = ["acme.internal"]\n')
    settings = load_settings(config, {"ACMEHUB_LISTEN_PORT": "9443", "ACMEHUB_TLS_HOSTS": "a, b"})
    assert settings.listen_port == 9443
    assert settings.http01_port == 5002
    assert settings.tls_hosts == ("a", "b")


def test_config_file_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('external_base_url = "https://acme.example.com/"\ntls_mode = "off"\n')
    settings = load_settings(None, {"ACMEHUB_CONFIG": str(config)})
    assert settings.base_url == "https://acme.example.com"


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"ACMEHUB_LISTEN_PORT": "70000"}, "listen_port"),
        ({"ACMEHUB_LISTEN_PORT": "eighty"}, "listen_port"),
        ({"ACMEHUB_TLS_MODE": "sometimes"}, "tls_mode"),
        ({"ACMEHUB_EXTERNAL_BASE_URL": "acme.example.com"}, "external_base_url"),
        ({"ACMEHUB_VALIDATION_WORKERS": "-1"}, "validation_workers"),
        # Baseline Requirements 3.2.2.8: a CAA check is relied on for 8 hours at most.
        ({"ACMEHUB_CAA_RECHECK_SECONDS": str(8 * 3600 + 1)}, "caa_recheck_seconds"),
    ],
)
def test_invalid_values_name_the_field(env: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        load_settings(None, env)


def test_unknown_field_in_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("listen_prot = 1\n")
    with pytest.raises(ConfigError, match="listen_prot"):
        load_settings(config, {})


def test_broken_toml_and_missing_file_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("listen_port = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, {})
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "absent.toml", {})


def test_trusted_proxies_are_addresses_or_cidr_blocks(tmp_path: Path) -> None:
    assert load_settings(None, {}).trusted_proxies == ()
    env = {"ACMEHUB_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1,2001:db8::/32"}
    assert load_settings(None, env).trusted_proxies == ("10.0.0.0/8", "192.0.2.1", "2001:db8::/32")
    path = tmp_path / "acmehub.toml"
    path.write_text('trusted_proxies = ["127.0.0.1", "proxy.example"]\n')
    with pytest.raises(ConfigError, match=r"trusted_proxies: .*'proxy.example' is not an IP"):
        load_settings(path, {})


def test_the_sign_in_lock_out_threshold_is_bounded() -> None:
    assert load_settings(None, {}).sign_in_lockout_failures == 10
    assert (
        load_settings(None, {"ACMEHUB_SIGN_IN_LOCKOUT_FAILURES": "0"}).sign_in_lockout_failures == 0
    )
    with pytest.raises(ConfigError, match="sign_in_lockout_failures"):
        load_settings(None, {"ACMEHUB_SIGN_IN_LOCKOUT_FAILURES": "-1"})

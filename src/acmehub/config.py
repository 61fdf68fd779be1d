"""Typed settings: one TOML file plus ACMEHUB_* environment overrides, validated at start-up.

Every field is optional with a safe default. Errors name the field.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "ACMEHUB_"


class ConfigError(Exception):
    """The configuration is invalid; the message names the field."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Where the embedded default keeps its database, CA keys and TLS files.
    state_dir: Path = Path("acmehub-state")
    #: SQLAlchemy URL; empty means SQLite (WAL) in the state directory.
    database_url: str = ""
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8443, ge=1, le=65535)
    #: "embedded": the embedded CA issues the listener's certificate; "files": bring your own;
    #: "off": plain HTTP behind a TLS-terminating proxy (set external_base_url then).
    tls_mode: Literal["embedded", "files", "off"] = "embedded"
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    #: Host names and IP addresses the embedded CA puts in the listener's certificate.
    tls_hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
    #: The base URL clients use (scheme://host[:port]); derived from the listener when empty.
    external_base_url: str = ""
    #: Ports the VA connects to for http-01 (RFC 8555 §8.3) and tls-alpn-01 (RFC 8737 §3).
    http01_port: int = Field(default=80, ge=1, le=65535)
    tlsalpn01_port: int = Field(default=443, ge=1, le=65535)
    #: The default profile's DNS resolver for validations ("" = the system's).
    dns_resolver_ip: str = ""
    dns_resolver_port: int = Field(default=53, ge=1, le=65535)
    #: Embedded CA key type for `acmehub init`.
    ca_key_type: Literal["ec-p256", "rsa-3072"] = "ec-p256"
    #: Name of the environment variable holding the CA key passphrase (unset: keys unencrypted).
    ca_passphrase_env: str = "ACMEHUB_CA_PASSPHRASE"  # noqa: S105 (a variable name)
    #: Validations `serve` runs at once in its event loop (0: leave validation to
    #: `acmehub worker`); each mostly waits on the network, so many cost little.
    validation_workers: int = Field(default=64, ge=0, le=1024)
    validation_timeout: float = Field(default=10.0, gt=0, le=120)
    #: Seconds a worker owns a claimed challenge; renewed every third of it while the validation
    #: runs, so a dead worker's claim is retried this soon after it died.
    validation_lease_seconds: int = Field(default=10, ge=1, le=3600)
    #: Seconds after which an order still processing is taken for a lost finalize and resumed.
    stuck_order_seconds: int = Field(default=120, ge=1)
    #: Seconds between housekeeping runs (the first runs at start-up).
    housekeeping_interval: float = Field(default=60.0, gt=0)
    nonce_lifetime: int = Field(default=3600, ge=10)
    #: Where used nonces are remembered: "memory" (one server process: nothing written per
    #: request, forgotten on restart along with the key that signs them), "machine" (the
    #: processes of `serve --processes N` on one machine share a file in the state directory:
    #: any of them accepts any other's nonce once, still with no write to the database),
    #: "database" (processes on several machines sharing one PostgreSQL), "auto": database on
    #: PostgreSQL whatever the number of processes (other machines may serve the same
    #: database); on SQLite memory for one process, machine for several.
    nonce_store: Literal["auto", "memory", "machine", "database"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Proxies (IP addresses or CIDR blocks) whose Forwarded / X-Forwarded-For header names
    #: the real client of the management API and web interface (audit, sign-in throttle).
    #: Empty: the socket's peer is the client and those headers are ignored.
    trusted_proxies: tuple[str, ...] = ()
    #: Failed sign-ins in a row after which a web user is locked out until an administrator
    #: unlocks them (`acmehub user unlock NAME`); 0: never lock out (the back-off still holds).
    sign_in_lockout_failures: int = Field(default=10, ge=0, le=1000)

    @field_validator("external_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR block") from None
        return tuple(item.strip() for item in value)

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.state_dir / 'acmehub.db').resolve()}"

    @property
    def base_url(self) -> str:
        if self.external_base_url:
            return self.external_base_url
        scheme = "http" if self.tls_mode == "off" else "https"
        host = self.listen_host
        if host in ("0.0.0.0", "::"):  # noqa: S104 (a listener, not a bind here)
            host = "localhost"
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.listen_port}"

    @property
    def ca_dir(self) -> Path:
        return self.state_dir / "ca"

    @property
    def ca_bundle(self) -> Path:
        """The root certificate clients must trust."""
        return self.ca_dir / "root.pem"


_LIST_FIELDS = {"tls_hosts", "trusted_proxies"}


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is None:
            continue
        values[name] = (
            [h.strip() for h in raw.split(",") if h.strip()] if name in _LIST_FIELDS else raw
        )
    return values


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """File values, then environment overrides; raises ConfigError naming the field."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    file = path or (Path(env["ACMEHUB_CONFIG"]) if env.get("ACMEHUB_CONFIG") else None)
    if file is not None:
        try:
            values.update(tomllib.loads(file.read_text()))
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {file} is not valid TOML: {exc}") from None
    values.update(_from_env(env))
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None

"""Where a CLI command's actions run: in this process on the configured database (local), or
on a running acmehub through its REST API (remote: ``--server URL --token ...`` or a profile
of the CLI's configuration file). Both take the same actions (management/actions.py) with the
same typed commands and return the same typed views, so a command is written once for both.
"""

from __future__ import annotations

import json
import os
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, TypeAdapter

from acmehub.domain.errors import DomainError, ErrorKind, FieldError
from acmehub.domain.urls import API_PATH
from acmehub.management.actions import Action, Args
from acmehub.services.admin import Actor
from acmehub.services.container import Services

#: The CLI's own configuration: profiles of remote servers (like `step`'s contexts).
CLI_CONFIG = Path("~/.config/acmehub/cli.toml")
_TIMEOUT = 30.0


class Backend(Protocol):
    def do(
        self,
        action: Action,
        path: Mapping[str, str] | None = None,
        body: Any = None,
        query: Any = None,
    ) -> Any: ...


@dataclass
class LocalBackend:
    """The services of the configured state directory or database, as the CLI's actor."""

    services: Services
    actor: Actor

    def do(
        self,
        action: Action,
        path: Mapping[str, str] | None = None,
        body: Any = None,
        query: Any = None,
    ) -> Any:
        return action.call(self.services, self.actor, Args(path or {}, body, query))


class RemoteBackend:
    """A running acmehub's management API, with an API token (Bearer)."""

    def __init__(self, server: str, token: str, ca_file: str | None = None) -> None:
        verify: Any = ssl.create_default_context(cafile=ca_file) if ca_file else True
        self._client = httpx.Client(
            base_url=server.rstrip("/") + API_PATH,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
            timeout=_TIMEOUT,
        )

    def close(self) -> None:
        self._client.close()

    def do(
        self,
        action: Action,
        path: Mapping[str, str] | None = None,
        body: Any = None,
        query: Any = None,
    ) -> Any:
        try:
            response = self._client.request(
                action.method,
                action.url_path(path or {}),
                json=_jsonable(body) if body is not None else None,
                params=_jsonable(query) if query is not None else None,
            )
        except httpx.HTTPError as exc:
            raise DomainError(
                ErrorKind.CONNECTION, f"cannot reach {self._client.base_url}: {exc}", status=503
            ) from None
        if response.status_code >= 400:
            raise _refusal(response)
        if action.result is None:
            return None
        return TypeAdapter(action.result).validate_python(response.json())


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return TypeAdapter(Any).dump_python(value, mode="json")


def _refusal(response: httpx.Response) -> DomainError:
    """The server's problem document (RFC 9457) as the one error type."""
    try:
        doc = response.json()
    except json.JSONDecodeError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    code = str(doc.get("code") or doc.get("title") or "")
    try:
        kind = ErrorKind(code)
    except ValueError:
        kind = ErrorKind.INVALID_INPUT if response.status_code == 422 else ErrorKind.MALFORMED
    errors = tuple(
        FieldError(str(e.get("field", "")), str(e.get("code", "")), str(e.get("message", "")))
        for e in doc.get("errors", ()) or ()
        if isinstance(e, dict)
    )
    detail = str(doc.get("detail") or f"HTTP {response.status_code}")
    return DomainError(kind, detail, status=response.status_code, errors=errors)


@dataclass(frozen=True)
class Remote:
    server: str
    token: str
    ca_file: str | None = None


def remote_of(
    server: str | None,
    token: str | None,
    profile: str | None,
    ca_file: str | None,
    environ: Mapping[str, str],
) -> Remote | None:
    """The remote server a command talks to, or None (local). Precedence: options, then the
    environment (ACMEHUB_SERVER, ACMEHUB_TOKEN), then a profile of the CLI configuration file
    (``[profiles.NAME]`` with ``server``, ``token`` or ``token_file``, ``ca_file``; the file
    is ACMEHUB_CLI_CONFIG or ~/.config/acmehub/cli.toml)."""
    config_file = Path(environ.get("ACMEHUB_CLI_CONFIG") or CLI_CONFIG)
    server = server or environ.get("ACMEHUB_SERVER")
    token = token or environ.get("ACMEHUB_TOKEN")
    profile = profile or environ.get("ACMEHUB_PROFILE")
    if profile:
        entry = _profile(config_file.expanduser(), profile)
        server = server or entry.get("server")
        ca_file = ca_file or entry.get("ca_file")
        if not token and entry.get("token_file"):
            token = Path(str(entry["token_file"])).expanduser().read_text().strip()
        token = token or entry.get("token")
    if not server:
        return None
    if not token:
        raise DomainError(
            ErrorKind.UNAUTHORIZED,
            f"--server {server} needs an API token: --token, ACMEHUB_TOKEN or a profile "
            "(acmehub token create NAME --role admin on the server)",
            status=401,
        )
    return Remote(server, token, ca_file)


def _profile(path: Path, name: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise DomainError(
            ErrorKind.NOT_FOUND, f"no CLI configuration at {path} (for profile {name})", status=404
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise DomainError(ErrorKind.MALFORMED, f"{path}: {exc}", status=400) from None
    entry = data.get("profiles", {}).get(name)
    if not isinstance(entry, dict):
        raise DomainError(ErrorKind.NOT_FOUND, f"{path} has no [profiles.{name}]", status=404)
    if "token" in entry and os.stat(path).st_mode & 0o077:
        raise DomainError(
            ErrorKind.FORBIDDEN,
            f"{path} holds a token and is readable by others: chmod 600 {path}",
            status=403,
        )
    return entry

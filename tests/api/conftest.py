"""Management API tests over real HTTP against the session's live acmehub.

``api`` is an httpx client with an admin token; ``api_as(role)`` gives one for another role;
``anonymous`` has no token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.remote_cli import Remote, remote_session
from tests.support.server import AcmehubServer

ApiFactory = Callable[[Role], httpx.Client]


@pytest.fixture(scope="session")
def api_as(acmehub: AcmehubServer) -> Iterator[ApiFactory]:
    clients: list[httpx.Client] = []

    def make(role: Role) -> httpx.Client:
        name = f"test-{role.value}-{secrets.token_hex(4)}"
        _, secret = acmehub.container().services.tokens.create(CLI_ACTOR, name, role)
        client = httpx.Client(
            base_url=f"{acmehub.base_url}/api/v1",
            verify=acmehub.ssl_context(),
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def api(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.ADMIN)


@pytest.fixture(scope="session")
def anonymous(acmehub: AcmehubServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{acmehub.base_url}/api/v1", verify=acmehub.ssl_context(), timeout=30
    ) as client:
        yield client


@pytest.fixture
def remote(acmehub: AcmehubServer, tmp_path: Path) -> Iterator[Remote]:
    """The CLI driving the session's server with ``--server`` and an admin token."""
    yield from remote_session(acmehub, tmp_path)

"""Shared fixtures: one DNS server and one live acmehub for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.challtestsrv import ChallTestSrv
from tests.support.postgres import postgres, postgres_url
from tests.support.server import AcmehubServer

__all__ = ["postgres", "postgres_url"]  # PostgreSQL fixtures for every suite


@pytest.fixture(scope="session")
def dns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChallTestSrv]:
    server = ChallTestSrv(tmp_path_factory.mktemp("dns")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def acmehub(
    tmp_path_factory: pytest.TempPathFactory, dns_server: ChallTestSrv
) -> Iterator[AcmehubServer]:
    """A live `acmehub serve` on the embedded default, resolving names through ``dns_server``."""
    root: Path = tmp_path_factory.mktemp("acmehub")
    server = AcmehubServer(root / "state", dns_port=dns_server.dns_port).start()
    yield server
    server.stop()

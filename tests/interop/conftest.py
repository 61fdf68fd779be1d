"""Real ACME clients (certbot, lego) against the session's live acmehub.

When a test fails, its transcript (every client command and output, the clients' logs and the
tail of acmehub's log) is attached to the report.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.support.interop import FAMILIES, Transcript
from tests.support.server import AcmehubServer


@pytest.fixture
def transcript(acmehub: AcmehubServer) -> Transcript:
    return Transcript(acmehub)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        found = getattr(item, "funcargs", {}).get("transcript")
        if isinstance(found, Transcript):
            report.sections.extend(found.sections())
    return report


@pytest.fixture(params=FAMILIES)
def family(request: pytest.FixtureRequest) -> str:
    """Both URL families: /acme/{acmeProfile}/... and /acme/raProfile/{raProfile}/..."""
    return str(request.param)


@pytest.fixture
def directory_url(acmehub: AcmehubServer, family: str) -> str:
    return acmehub.directory_url("default", family)

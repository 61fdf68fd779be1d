"""The ACME edge never sends a serverInternal's own text (a path, a CA's message): the client
reads a reference, and the log has the reference with the cause."""

from __future__ import annotations

import re

import pytest

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.problems import acme_problem


def test_a_server_internal_detail_becomes_a_logged_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cause = "cannot read CA certificate file /srv/acmehub/ca/intermediate.pem: No such file"
    status, doc = acme_problem(DomainError(ErrorKind.SERVER_INTERNAL, cause))
    assert status == 500
    assert doc["type"] == "urn:ietf:params:acme:error:serverInternal"
    found = re.fullmatch(r"internal error, reference ([0-9a-f]{8})", doc["detail"])
    assert found is not None, doc
    logged = [r.getMessage() for r in caplog.records]
    assert any(found.group(1) in m and cause in m for m in logged), logged


def test_other_problems_keep_their_detail() -> None:
    _, doc = acme_problem(DomainError(ErrorKind.MALFORMED, "the payload is not JSON"))
    assert doc["detail"] == "the payload is not JSON"

"""The benchmark's load generator works: a few seconds against the session's live acmehub."""

from __future__ import annotations

from typing import Any

import pytest

from bench import loadgen, procstat

# One import of the package: ruff's isort would file `bench.loadgen` as third-party (the
# `src` setting finds a `bench` under tests/ only).
from tests.support.isolated import run_isolated
from tests.support.server import AcmehubServer


def _run(acmehub: AcmehubServer, **overrides: Any) -> dict[str, Any]:
    pid = procstat.find_listener_pid(acmehub.port)
    assert pid is not None, "cannot find acmehub's process by its listening port"
    opts = loadgen.Options(
        directory=acmehub.directory_url(),
        ca_bundle=str(acmehub.ca_bundle),
        # acmehub's http-01 port is fixed by the fixture: the responder listens there.
        responder_port=acmehub.http01_port,
        server_pids=[pid],
        label="smoke",
        **overrides,
    )
    return run_isolated(loadgen.run_workload(opts))


def test_issuance_flow_two_clients(acmehub: AcmehubServer) -> None:
    record = _run(acmehub, mode="flow", concurrency=2, duration=2.0, warmup=1)

    assert record["failures"] == {}
    assert record["warmup_failures"] == {}
    assert record["completed"] >= 2
    assert record["http_5xx"] == 0
    # Every order was validated by a real fetch from the one responder.
    assert record["responder"]["hits"] >= record["completed"]
    latency = record["latency_ms"]
    for endpoint in ("operation", "new-order", "authz", "challenge", "finalize", "certificate"):
        assert latency[endpoint]["n"] >= record["completed"], endpoint
    assert latency["operation"]["p50"] <= latency["operation"]["p99"]
    # The poll policy is in the record; every completed order polled its authorization.
    assert record["poll_policy"]["first_poll_ms"] == 10
    assert record["poll_policy"]["poll_cap_ms"] == 50
    assert record["polls"]["authz"] >= record["completed"]
    assert record["polls"]["authz_per_order"] >= 1
    assert "authorization" in loadgen.format_report(record)
    server = record["server"]
    assert server["cpu_s"] > 0
    assert server["cpu_ms_per_op"] > 0
    assert server["peak_rss_mib"] > 10


@pytest.mark.parametrize("mode", ["nonce", "account"])
def test_micro_modes_over_httpx(acmehub: AcmehubServer, mode: str) -> None:
    record = _run(acmehub, mode=mode, concurrency=2, duration=1.0, warmup=0, transport="httpx")

    assert record["failed"] == 0
    assert record["completed"] > 0
    assert record["unit"] == {"nonce": "nonces", "account": "accounts"}[mode]

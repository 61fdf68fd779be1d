"""The benchmark's poll policy, saturation ladder and report, without any server."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

# One import of the package (see test_loadgen_smoke).
from bench import loadgen, run, servers

Target = servers.Target


class _Response:
    def __init__(self, retry_after: str | None = None) -> None:
        self.headers = {} if retry_after is None else {"Retry-After": retry_after}
        self.status_code = 200
        self.content = b""

    def json(self) -> Any:
        return {}


def _run(**overrides: Any) -> loadgen.Run:
    opts = loadgen.Options(directory="https://127.0.0.1:1/directory", **overrides)
    return loadgen.Run(opts, loadgen.Directory("n", "a", "o", False), None)


def test_first_poll_comes_at_most_first_poll_after_the_answer() -> None:
    r = _run()
    answered_at = loadgen.time.monotonic()
    # Without Retry-After, and with a Retry-After of 3 s: never later than 10 ms after.
    assert 0.0 < r.first_delay(_Response(), answered_at) <= 0.01
    assert 0.0 < r.first_delay(_Response("3"), answered_at) <= 0.01
    # A Retry-After of 0 is honoured; time already spent counts.
    assert r.first_delay(_Response("0"), answered_at) == 0.0
    assert r.first_delay(_Response(), answered_at - 1.0) == 0.0


def test_later_polls_honour_retry_after_capped_or_double() -> None:
    r = _run(first_poll=0.01, poll_cap=0.05)
    assert r.next_delay(_Response(), 0.01) == pytest.approx(0.02)
    assert r.next_delay(_Response(), 0.02) == pytest.approx(0.04)
    assert r.next_delay(_Response(), 0.04) == pytest.approx(0.05)
    assert r.next_delay(_Response(), 0.0) == pytest.approx(0.01)
    assert r.next_delay(_Response("3"), 0.01) == pytest.approx(0.05)
    assert r.next_delay(_Response("0"), 0.04) == 0.0


def _target(name: str, kind: str) -> Target:
    return Target(name, kind, f"https://{name}/directory", Path("/ca.pem"), [1], [])


def _args(**overrides: Any) -> argparse.Namespace:
    values: dict[str, Any] = dict(
        duration=20.0,
        micro_duration=8.0,
        scale_duration=15.0,
        soak_duration=60.0,
        saturation_duration=10.0,
        quick=False,
        scale_reps=1,
        saturation_reps=1,
        saturation_clients="1,2,4,8,16,32,64",
        pebble_max_clients=16,
        saturation_gain=5.0,
        soak=False,
        only=None,
    )
    values.update(overrides)
    return argparse.Namespace(**values)


def test_saturation_ladder_stops_when_the_gain_is_small() -> None:
    (ladder,) = run.plan(_args(only="saturation"))
    acmehub, pebble = _target("acmehub-sqlite", "acmehub"), _target("pebble", "pebble")
    broken = _target("acmehub-pg", "acmehub")
    rates = {
        "acmehub-pg": {1: 0.0, 2: 0.0},
        "acmehub-sqlite": {1: 10.0, 2: 20.0, 4: 40.0, 8: 41.0, 16: 90.0},
        "pebble": {1: 10.0, 2: 20.0, 4: 40.0, 8: 80.0, 16: 160.0, 32: 320.0},
    }
    calls: list[tuple[str, int]] = []
    records: list[dict[str, Any]] = []

    def measure(t: Target, w: run.Workload, rep: int) -> dict[str, Any]:
        calls.append((t.name, w.concurrency))
        rec = {
            "workload": w.name,
            "target": t.name,
            "rep": rep + 1,
            "rate_per_s": rates[t.name][w.concurrency],
        }
        records.append(rec)
        return rec

    run.climb(ladder, [acmehub, broken, pebble], 0, measure)

    # In step: a server that completes nothing stops at once; acmehub-sqlite gained 2.5 % at 8
    # and stopped; Pebble climbs to its top, 16.
    assert calls == [
        ("acmehub-sqlite", 1),
        ("acmehub-pg", 1),
        ("pebble", 1),
        ("acmehub-sqlite", 2),
        ("pebble", 2),
        ("acmehub-sqlite", 4),
        ("pebble", 4),
        ("acmehub-sqlite", 8),
        ("pebble", 8),
        ("pebble", 16),
    ]
    summary = run.summarise_saturation(records)
    assert summary["acmehub-sqlite"]["rate"] == 41.0
    assert summary["acmehub-sqlite"]["clients"] == [8]
    assert summary["pebble"]["rate"] == 160.0
    assert summary["pebble"]["clients"] == [16]


def _record(workload: str, target: str, rate: float, cpu: float, polls: float) -> dict[str, Any]:
    return {
        "workload": workload,
        "target": target,
        "rep": 1,
        "unit": "orders",
        "rate_per_s": rate,
        "requests_per_s": rate * 6,
        "elapsed_s": 10.0,
        "completed": int(rate * 10),
        "failed": 0,
        "failures": {},
        "http_5xx": 0,
        "latency_ms": {"operation": {"n": 1, "p50": 100.0, "p99": 200.0}},
        "polls": {"authz_per_order": polls, "order_per_order": 0.0},
        "server": {"cpu_ms_per_op": cpu, "peak_rss_mib": 100.0},
        "generator": {"cpu_s": 2.0},
        "machine": {"other_cores": 0.0},
    }


def test_report_starts_with_the_headline_and_states_the_poll_policy() -> None:
    targets = [_target("acmehub-sqlite", "acmehub"), _target("pebble", "pebble")]
    records = [
        _record("flow c=1", "acmehub-sqlite", 15.0, 16.0, 1.0),
        _record("flow c=1", "pebble", 10.0, 8.0, 1.0),
        _record("flow c=8", "acmehub-sqlite", 60.0, 18.0, 1.0),
        _record("flow c=8", "pebble", 120.0, 6.0, 2.0),
    ]
    sat = _record("saturation c=4", "acmehub-sqlite", 70.0, 18.0, 1.0)
    sat["saturation_clients"] = 4
    records.append(sat)
    workloads = run.plan(_args(only="flow c=1,flow c=8,saturation"))
    result = {
        "started": "now",
        "machine": {
            "nproc": 2,
            "cpu_model": "cpu",
            "ram_gib": 1.0,
            "kernel": "6",
            "versions": {"python": "3.11", "pebble": "2.4.0"},
        },
        "poll_policy": run.Poll().policy(),
        "notes": [],
        "targets": [{**t.__dict__, "ca_bundle": str(t.ca_bundle)} for t in targets],
        "workloads": [w.__dict__ for w in workloads],
        "summary": run.summarise(records),
        "saturation": run.summarise_saturation(records),
        "certbot": {},
    }

    text = run.report(result)

    lines = text.splitlines()
    assert "first poll <= 10 ms" in lines[1]
    assert "50 ms" in lines[1]
    assert lines[2].startswith("Headline")
    assert "authz polls/order" in lines[3]
    assert "saturation orders/s (clients)" in lines[3]
    row = next(line for line in lines if line.startswith("acmehub-sqlite "))
    expected = ["acmehub-sqlite", "15.0", "16.00", "60.0", "18.00", "100/200", "1.00", "70.0"]
    assert row.split() == [*expected, "(4)"]
    ratios = next(line for line in lines if line.startswith("acmehub-sqlite/pebble "))
    assert ratios.split()[1:5] == ["1.50x", "2.00x", "0.50x", "3.00x"]
    assert "saturation: orders/s by clients" in text

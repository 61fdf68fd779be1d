"""`make bench`: acmehub (SQLite, PostgreSQL) and Pebble side by side, same workloads, same run.

Starts pebble-challtestsrv (every name -> 127.0.0.1, no AAAA), acmehub on the embedded default
(SQLite in a fresh state directory), acmehub on a fresh PostgreSQL database (created and dropped
by the run), and Pebble (no VA sleeps, no nonce rejection, no authorization reuse); every
server validates http-01 against the load generator's responder port. Then, for each
repetition, every workload runs against every server in turn (the server order rotates between
repetitions), each workload a `python -m bench.loadgen` subprocess: the flow at 1 and 8
clients and the new-nonce and new-account floods against all three; the saturation ladder: the
flow at 1, 2, 4, 8, ... clients (--saturation-clients; Pebble at most 16, it stalls above),
every server climbing in step with the others, each server stopping when a step gains less than
5 % orders/s (once by default, --saturation-reps); the flow at 32, 64 and 256 clients against
acmehub only, once by default (--scale-reps); with --soak, 256 clients for 60 s on SQLite.
Last, certbot registers and gets one certificate for 2 names (http-01, standalone on the
responder's port, free by then) from acmehub (SQLite) and Pebble, alternately, 5 times each.

The load generator's poll policy (--first-poll-ms, --poll-cap-ms): the first poll at most 10 ms
after the challenge POST / finalize, then Retry-After (or doubling) capped at 50 ms.

Prints the headline table (per server: orders/s and server CPU-ms per order at 1 and 8
clients, p50/p99 at 8, authorization polls per order, saturation orders/s; ratios
acmehub/Pebble), then the table of every workload (medians over the repetitions) and writes
every record to --out (JSON; --report prints the tables of such a file again). Every process
is stopped by its PID at the end, on failure too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.loadgen import add_poll_options, describe_poll_policy, poll_policy
from bench.servers import (
    PostgresDatabase,
    Procs,
    Target,
    answers,
    clean_env,
    free_port,
    restart_pebble,
    serve_supports_processes,
    start_acmehub,
    start_dns,
    start_pebble,
)

DEFAULT_OUT = Path(__file__).parent / "results" / "latest.json"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
CERTBOT_TIMEOUT = 180.0
#: The saturation ladder's default client counts, and Pebble's top step (2.4.0 stalls above).
SATURATION_CLIENTS = (1, 2, 4, 8, 16, 32, 64)
PEBBLE_MAX_CLIENTS = 16
#: A generator busier than this (cores; it is one event loop) may be the limit, not the server.
GEN_LIMIT = 0.85


@dataclass(frozen=True)
class Workload:
    name: str
    mode: str  # flow | nonce | account
    concurrency: int
    duration: float
    compare: bool  # also against Pebble (else acmehub only)
    warmup: int = 1
    order_timeout: float = 60.0
    reps: int | None = None  # None: every repetition
    servers: tuple[str, ...] = ()  # () = every server the workload applies to
    #: A saturation ladder: the client counts tried in turn (``concurrency`` is unused).
    ladder: tuple[int, ...] = ()
    pebble_max: int = PEBBLE_MAX_CLIENTS
    #: A server stops climbing when a step gains less than this fraction of orders/s.
    min_gain: float = 0.05

    def step(self, clients: int) -> Workload:
        """One step of a saturation ladder, as a plain workload."""
        return replace(self, name=f"{self.name} c={clients}", concurrency=clients, ladder=())

    def top(self, target: Target) -> int:
        """The most clients of the ladder for this server."""
        return self.pebble_max if target.kind == "pebble" else max(self.ladder, default=0)


def plan(args: argparse.Namespace) -> list[Workload]:
    duration, micro, scale = args.duration, args.micro_duration, args.scale_duration
    soak, saturation = args.soak_duration, args.saturation_duration
    if args.quick:
        duration, micro, scale, soak, saturation = 3.0, 2.0, 3.0, 5.0, 3.0
    scale_reps = args.scale_reps
    ladder = tuple(sorted({int(c) for c in args.saturation_clients.split(",") if c.strip()}))
    workloads = [
        Workload("flow c=1", "flow", 1, duration, compare=True),
        Workload("flow c=8", "flow", 8, duration, compare=True),
        Workload("new-nonce c=8", "nonce", 8, micro, compare=True),
        Workload("new-account c=8", "account", 8, micro, compare=True),
        Workload(
            "saturation",
            "flow",
            0,
            saturation,
            compare=True,
            order_timeout=120,
            reps=args.saturation_reps,
            ladder=ladder,
            pebble_max=args.pebble_max_clients,
            min_gain=args.saturation_gain / 100,
        ),
        Workload("flow c=32", "flow", 32, scale, False, warmup=0, reps=scale_reps),
        Workload("flow c=64", "flow", 64, scale, False, warmup=0, reps=scale_reps),
        Workload(
            "flow c=256", "flow", 256, scale, False, warmup=0, order_timeout=240, reps=scale_reps
        ),
    ]
    if args.soak:
        workloads.append(
            Workload(
                f"soak c=256 {soak:.0f}s",
                "flow",
                256,
                soak,
                False,
                warmup=0,
                order_timeout=240,
                reps=1,
                servers=("acmehub-sqlite",),
            )
        )
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        workloads = [w for w in workloads if w.name in wanted]
    return workloads


def applies(workload: Workload, target: Target, rep: int) -> bool:
    if target.kind == "pebble" and not workload.compare:
        return False
    if workload.servers and target.name not in workload.servers:
        return False
    return workload.reps is None or rep < workload.reps


def climb(
    w: Workload,
    servers: list[Target],
    rep: int,
    measure: Callable[[Target, Workload, int], dict[str, Any]],
) -> None:
    """The saturation ladder: every server climbs in step with the others (the same minutes of
    the machine), each until a step gains less than ``w.min_gain`` orders/s over the step
    before, completes nothing, or reaches its top (``Workload.top``). Marks each record with
    its clients."""
    climbing = {t.name for t in servers if applies(w, t, rep)}
    last: dict[str, float] = {}
    for clients in w.ladder:
        for t in servers:
            if t.name not in climbing:
                continue
            if clients > w.top(t):
                climbing.discard(t.name)  # its last step is done
                continue
            rec = measure(t, w.step(clients), rep)
            rec["saturation_clients"] = clients
            rate = rec.get("rate_per_s")
            if not rate or (t.name in last and rate < last[t.name] * (1 + w.min_gain)):
                climbing.discard(t.name)
            else:
                last[t.name] = rate
        if not climbing:
            break


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    versions: dict[str, str] = {"python": platform.python_version()}
    with contextlib.suppress(OSError):
        versions["pebble"] = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "pebble"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "versions": versions,
    }


def source_version() -> str:
    """The commit of the acmehub being measured ("+dirty" when src/ has uncommitted changes)."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (commit or "unknown") + ("+dirty" if dirty else "")


@dataclass(frozen=True)
class Poll:
    """The load generator's poll policy, the same for every workload of a run."""

    first_ms: float = 10.0
    cap_ms: float = 50.0

    def policy(self) -> dict[str, Any]:
        return poll_policy(self.first_ms / 1000, self.cap_ms / 1000)


def run_loadgen(
    target: Target,
    workload: Workload,
    responder_port: int,
    work: Path,
    label: str,
    http: str,
    poll: Poll = Poll(),
) -> dict[str, Any]:
    out = work / f"loadgen-{secrets.token_hex(4)}.json"
    argv = [
        sys.executable, "-m", "bench.loadgen",
        "--directory", target.directory_url,
        "--ca-bundle", str(target.ca_bundle),
        "--mode", workload.mode,
        "--concurrency", str(workload.concurrency),
        "--duration", str(workload.duration),
        "--responder-port", str(responder_port),
        "--warmup", str(workload.warmup),
        "--order-timeout", str(workload.order_timeout),
        "--label", label,
        "--http", http,
        "--first-poll-ms", str(poll.first_ms),
        "--poll-cap-ms", str(poll.cap_ms),
        "--json", str(out),
        "--quiet",
    ]  # fmt: skip
    for pid in target.pids:
        argv += ["--server-pid", str(pid)]
    limit = workload.duration + 2 * workload.order_timeout + 120
    root = Path(__file__).resolve().parent.parent
    env = clean_env(PYTHONPATH=str(root))
    try:
        done = subprocess.run(
            argv, cwd=root, env=env, capture_output=True, text=True, timeout=limit, check=False
        )
    except subprocess.TimeoutExpired:
        return {"label": label, "error": f"load generator timed out after {limit:.0f}s"}
    if done.returncode != 0 or not out.exists():
        return {
            "label": label,
            "error": f"load generator exit {done.returncode}: {done.stderr[-2000:]}",
        }
    record: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return record


def run_certbot(target: Target, port: int, work: Path, index: int) -> dict[str, Any]:
    certbot = shutil.which("certbot", path=str(Path(sys.executable).parent)) or shutil.which(
        "certbot"
    )
    if certbot is None:
        return {"error": "certbot not found"}
    home = work / f"certbot-{target.name}-{index}"
    base = f"i{index}.{target.name}.r{secrets.token_hex(3)}.certbot.bench.test"
    argv = [
        certbot, "certonly", "--non-interactive",
        "--server", target.directory_url,
        "--config-dir", str(home / "config"),
        "--work-dir", str(home / "work"),
        "--logs-dir", str(home / "logs"),
        "--agree-tos", "--email", "bench@example.com", "--no-eff-email",
        "--cert-name", "bench",
        "-d", base, "-d", f"www.{base}",
        "--standalone", "--preferred-challenges", "http",
        "--http-01-address", "127.0.0.1", "--http-01-port", str(port),
    ]  # fmt: skip
    env = clean_env(REQUESTS_CA_BUNDLE=str(target.ca_bundle))
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=CERTBOT_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"certbot timed out after {CERTBOT_TIMEOUT}s"}
    wall = time.perf_counter() - start
    ok = done.returncode == 0 and (home / "config" / "live" / "bench" / "fullchain.pem").exists()
    shutil.rmtree(home, ignore_errors=True)
    if not ok:
        return {"error": f"certbot exit {done.returncode}: {(done.stdout + done.stderr)[-1500:]}"}
    return {"wall_s": round(wall, 3)}


def rotations(items: list[Target]) -> Iterator[list[Target]]:
    """The server order for each repetition: rotated, so no server always goes first."""
    shift = 0
    while True:
        yield items[shift % len(items) :] + items[: shift % len(items)]
        shift += 1


# --- the summary table --------------------------------------------------------------------------


def _median(values: list[float | None]) -> float | None:
    clean = [v for v in values if v is not None]
    return round(statistics.median(clean), 2) if clean else None


def summarise(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Medians over repetitions, keyed by "workload|server"."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(f"{rec['workload']}|{rec['target']}", []).append(rec)
    out: dict[str, dict[str, Any]] = {}
    for key, recs in groups.items():
        done = [r for r in recs if "error" not in r]
        failures: dict[str, int] = {}
        for r in done:
            for kind, n in r["failures"].items():
                failures[kind] = failures.get(kind, 0) + n
        # A repetition with failed operations (Pebble 2.4.0 deadlocks now and then: its POSTs
        # stop answering) says nothing of the server's speed: the figures are medians over the
        # clean repetitions when there is one; the totals below count every repetition.
        ok = [r for r in done if not r["failed"]] or done
        out[key] = {
            "runs": len(recs),
            "figures_from": len(ok),
            "errors": [r["error"] for r in recs if "error" in r],
            "rate": _median([r["rate_per_s"] for r in ok]),
            "p50": _median([r["latency_ms"]["operation"].get("p50") for r in ok]),
            "p99": _median([r["latency_ms"]["operation"].get("p99") for r in ok]),
            "cpu_ms": _median([(r.get("server") or {}).get("cpu_ms_per_op") for r in ok]),
            "req_s": _median([r["requests_per_s"] for r in ok]),
            "authz_polls": _median([(r.get("polls") or {}).get("authz_per_order") for r in ok]),
            "order_polls": _median([(r.get("polls") or {}).get("order_per_order") for r in ok]),
            "completed": sum(r["completed"] for r in done),
            "failed": sum(r["failed"] for r in done),
            "failures": failures,
            "http_5xx": sum(r["http_5xx"] for r in done),
            "gen_cores": _median(
                [round(r["generator"]["cpu_s"] / r["elapsed_s"], 2) for r in ok if r["elapsed_s"]]
            ),
            "other_cores": _median([r["machine"]["other_cores"] for r in ok]),
            "rss_start_mib": (ok[0].get("server") or {}).get("rss_start_mib") if ok else None,
            "rss_end_mib": (ok[-1].get("server") or {}).get("rss_end_mib") if ok else None,
            "peak_rss_mib": max(
                ((r.get("server") or {}).get("peak_rss_mib") or 0 for r in ok), default=None
            ),
            "unit": ok[0]["unit"] if ok else "",
        }
    return out


def summarise_saturation(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per server: the steps of every repetition's climb, its best orders/s and at how many
    clients; ``rate`` is the median of the repetitions' best."""
    climbs: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for rec in records:
        if "saturation_clients" in rec:
            climbs.setdefault(rec["target"], {}).setdefault(rec["rep"], []).append(rec)
    out: dict[str, dict[str, Any]] = {}
    for target, reps in climbs.items():
        runs = []
        for rep, recs in sorted(reps.items()):
            steps = [
                {
                    "clients": r["saturation_clients"],
                    "rate": r.get("rate_per_s"),
                    "cpu_ms": (r.get("server") or {}).get("cpu_ms_per_op"),
                    "p99": (r.get("latency_ms") or {}).get("operation", {}).get("p99"),
                    "failed": r.get("failed"),
                    "gen_cores": (
                        round(r["generator"]["cpu_s"] / r["elapsed_s"], 2)
                        if "generator" in r and r.get("elapsed_s")
                        else None
                    ),
                    "error": r.get("error"),
                }
                for r in sorted(recs, key=lambda r: r["saturation_clients"])
            ]
            rated = [st for st in steps if st["rate"] is not None]
            best = max(rated, key=lambda st: st["rate"], default=None)
            runs.append(
                {
                    "rep": rep,
                    "steps": steps,
                    "best_rate": best["rate"] if best else None,
                    "best_clients": best["clients"] if best else None,
                }
            )
        rate = _median([r["best_rate"] for r in runs])
        gens = [st["gen_cores"] or 0.0 for r in runs for st in r["steps"]]
        out[target] = {
            "rate": rate,
            "clients": [r["best_clients"] for r in runs],
            "max_gen_cores": max(gens, default=None),
            "runs": runs,
        }
    return out


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def _clients(values: list[int | None]) -> str:
    shown = sorted({v for v in values if v is not None})
    return "/".join(str(v) for v in shown) if shown else "-"


def _p50_p99(s: dict[str, Any] | None) -> str:
    return "-" if s is None else f"{_f(s['p50'], 0)}/{_f(s['p99'], 0)}"


def headline(
    summary: dict[str, dict[str, Any]],
    saturation: dict[str, dict[str, Any]],
    targets: list[Target],
) -> str:
    """The compact table first: CPU-ms per order is the headline figure."""
    columns = [
        ("server", 18),
        ("c=1 orders/s", 13),
        ("c=1 CPU-ms/order", 17),
        ("c=8 orders/s", 13),
        ("c=8 CPU-ms/order", 17),
        ("c=8 p50/p99 ms", 15),
        ("authz polls/order", 18),
        ("saturation orders/s (clients)", 30),
    ]
    rows: list[list[str]] = []
    cells: dict[str, dict[str, Any]] = {}
    for t in targets:
        one = summary.get(f"flow c=1|{t.name}")
        eight = summary.get(f"flow c=8|{t.name}")
        polled = eight if eight and eight.get("authz_polls") is not None else one
        sat = saturation.get(t.name)
        cells[t.name] = {
            "rate1": one and one["rate"],
            "cpu1": one and one["cpu_ms"],
            "rate8": eight and eight["rate"],
            "cpu8": eight and eight["cpu_ms"],
            "p50": eight and eight["p50"],
            "p99": eight and eight["p99"],
            "polls": polled and polled.get("authz_polls"),
            "sat": sat and sat["rate"],
        }
        c = cells[t.name]
        rows.append(
            [
                t.name,
                _f(c["rate1"]),
                _f(c["cpu1"], 2),
                _f(c["rate8"]),
                _f(c["cpu8"], 2),
                _p50_p99(eight),
                _f(c["polls"], 2),
                "-" if sat is None else f"{_f(sat['rate'])} ({_clients(sat['clients'])})",
            ]
        )
    pebble = next((t for t in targets if t.kind == "pebble"), None)
    if pebble is not None:
        p = cells[pebble.name]
        for t in targets:
            if t is pebble:
                continue
            a = cells[t.name]
            rows.append(
                [
                    f"{t.name}/pebble",
                    _ratio(a["rate1"], p["rate1"]),
                    _ratio(a["cpu1"], p["cpu1"]),
                    _ratio(a["rate8"], p["rate8"]),
                    _ratio(a["cpu8"], p["cpu8"]),
                    f"{_ratio(a['p50'], p['p50'])}/{_ratio(a['p99'], p['p99'])}",
                    _ratio(a["polls"], p["polls"]),
                    _ratio(a["sat"], p["sat"]),
                ]
            )
    width = max(len(r[0]) for r in rows) + 2 if rows else columns[0][1]
    widths = [max(width, columns[0][1])] + [w for _, w in columns[1:]]
    header = columns[0][0].ljust(widths[0]) + "".join(
        name.rjust(w) for (name, _), w in zip(columns[1:], widths[1:], strict=True)
    )
    lines = [
        "Headline (medians over repetitions; CPU-ms/order: the server's process tree; authz "
        "polls/order at 8 clients; ratios acmehub/Pebble, above 1 is better for orders/s, "
        "worse for CPU and latency)",
        header,
        "-" * len(header),
    ]
    for row in rows:
        lines.append(
            row[0].ljust(widths[0])
            + "".join(v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True))
        )
    return "\n".join(lines)


def saturation_table(saturation: dict[str, dict[str, Any]], targets: list[Target]) -> str:
    lines = ["saturation: orders/s by clients (a server stops when a step gains < 5 %)"]
    for t in targets:
        sat = saturation.get(t.name)
        if sat is None:
            continue
        for run in sat["runs"]:
            steps = ", ".join(
                f"c={st['clients']} "
                + (f"ERROR {str(st['error'])[:60]}" if st["error"] else _f(st["rate"]))
                + (f" ({st['failed']} failed)" if st["failed"] else "")
                + (" (gen-bound?)" if (st["gen_cores"] or 0) >= GEN_LIMIT else "")
                for st in run["steps"]
            )
            lines.append(
                f"  {t.name:<18} rep {run['rep']}: {steps} -> best {_f(run['best_rate'])} "
                f"at {_clients([run['best_clients']])} clients"
            )
    return "\n".join(lines)


def table(
    summary: dict[str, dict[str, Any]],
    workloads: list[Workload],
    targets: list[Target],
    certbot: dict[str, list[dict[str, Any]]],
) -> str:
    lines = [
        "rate: completed operations/s over the window; p50/p99: operation latency; CPU ms/op: "
        "server process tree CPU / completed; authz/op: authorization polls per completed "
        "order; gen, other: cores used by the load generator (one event loop: near 1.0 it is "
        "the limit) and by every other process of the machine meanwhile (noise). Medians over "
        "repetitions.",
        "",
    ]
    header = (
        f"{'workload':<16}{'server':<16}{'rate/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU ms/op':>10}{'authz/op':>9}{'req/s':>8}{'done':>7}{'failed':>7}{'5xx':>5}"
        f"{'RSS MiB':>9}"
        f"{'gen':>6}{'other':>6}"
    )
    lines += [header, "-" * len(header)]
    pebble = next((t for t in targets if t.kind == "pebble"), None)
    for w in workloads:
        if w.ladder:
            continue  # saturation_table
        for t in targets:
            s = summary.get(f"{w.name}|{t.name}")
            if s is None:
                continue
            if s["errors"] and s["rate"] is None:
                lines.append(f"{w.name:<16}{t.name:<16}  ERROR: {s['errors'][0][:80]}")
                continue
            lines.append(
                f"{w.name:<16}{t.name:<16}{_f(s['rate']):>9}{_f(s['p50']):>9}{_f(s['p99']):>9}"
                f"{_f(s['cpu_ms'], 2):>10}{_f(s.get('authz_polls'), 2):>9}"
                f"{_f(s['req_s'], 0):>8}{s['completed']:>7}"
                f"{s['failed']:>7}{s['http_5xx']:>5}{_f(s['peak_rss_mib']):>9}"
                f"{_f(s['gen_cores'], 2):>6}{_f(s['other_cores'], 2):>6}"
            )
            if s["failures"]:
                clean = (
                    f"; figures from the {s['figures_from']} of {s['runs']} repetitions "
                    "without failures"
                    if s.get("figures_from", s["runs"]) < s["runs"]
                    else ""
                )
                lines.append(f"{'':<32}failures: {s['failures']}{clean}")
            if w.name.startswith("soak"):
                lines.append(
                    f"{'':<32}RSS MiB at start {_f(s['rss_start_mib'])}, "
                    f"peak {_f(s['peak_rss_mib'])}, end {_f(s['rss_end_mib'])}"
                )
        if pebble is not None and w.compare:
            p = summary.get(f"{w.name}|{pebble.name}")
            for t in targets:
                a = summary.get(f"{w.name}|{t.name}")
                if t is pebble or a is None or p is None:
                    continue
                lines.append(
                    f"{'':<16}{t.name + '/pebble':<16}{_ratio(a['rate'], p['rate']):>9}"
                    f"{_ratio(a['p50'], p['p50']):>9}{_ratio(a['p99'], p['p99']):>9}"
                    f"{_ratio(a['cpu_ms'], p['cpu_ms']):>10}"
                    f"{_ratio(a.get('authz_polls'), p.get('authz_polls')):>9}"
                )
    if certbot:
        lines.append("")
        lines.append("certbot certonly, 2 names, http-01 (new account each run): wall clock s")
        medians = {}
        for name, runs in certbot.items():
            walls = [r["wall_s"] for r in runs if "wall_s" in r]
            errors = [r["error"] for r in runs if "error" in r]
            medians[name] = _median(walls)
            shown = " ".join(f"{w:.2f}" for w in walls)
            lines.append(
                f"  {name:<16} median {_f(medians[name], 2)}  runs {shown}"
                + (f"  ERRORS {len(errors)}: {errors[0][:100]}" if errors else "")
            )
        if pebble is not None and pebble.name in medians:
            for name, med in medians.items():
                if name != pebble.name:
                    lines.append(f"  {name}/pebble {_ratio(med, medians[pebble.name])}")
    return "\n".join(lines)


def gen_warnings(summary: dict[str, dict[str, Any]]) -> list[str]:
    """Workloads where the generator (its steps of the saturation ladder too) neared a core."""
    busy = [
        f"{key.replace('|', ' on ')} ({s['gen_cores']:.2f} cores)"
        for key, s in summary.items()
        if (s.get("gen_cores") or 0) >= GEN_LIMIT
    ]
    if not busy:
        return []
    return [
        f"note: the load generator used >= {GEN_LIMIT} of a core in: {', '.join(busy)}; "
        "there it may be the limit, not the server"
    ]


def report(result: dict[str, Any]) -> str:
    """The tables of a recorded run (the JSON --out wrote)."""
    m = result["machine"]
    workloads = [
        Workload(**{**w, "servers": tuple(w["servers"]), "ladder": tuple(w.get("ladder", ()))})
        for w in result["workloads"]
    ]
    targets = [
        Target(
            t["name"], t["kind"], t["directory_url"], Path(t["ca_bundle"]), t["pids"], t["notes"]
        )
        for t in result["targets"]
    ]
    head = [
        f"run of {result['started']} on {m['nproc']} x {m['cpu_model']}, {m['ram_gib']} GiB RAM, "
        f"Linux {m['kernel']}, Python {m['versions'].get('python')}, "
        f"pebble {m['versions'].get('pebble')}, acmehub {result.get('acmehub_version', '?')}",
        describe_poll_policy(result["poll_policy"])
        if "poll_policy" in result
        else "poll policy: not recorded (before issue 13: min(Retry-After, 50 ms) before every "
        "poll)",
        *(f"note: {n}" for n in result["notes"]),
        *gen_warnings(result["summary"]),
        "",
    ]
    saturation = result.get("saturation", {})
    parts = [headline(result["summary"], saturation, targets), ""]
    if saturation:
        parts += [saturation_table(saturation, targets), ""]
    parts.append(table(result["summary"], workloads, targets, result["certbot"]))
    return "\n".join(head) + "\n".join(parts)


# --- the run ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 repetition, 2-5 s each")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0, help="s per flow workload")
    parser.add_argument("--micro-duration", type=float, default=8.0, help="s per micro workload")
    parser.add_argument("--scale-duration", type=float, default=15.0, help="s at C=32/64/256")
    parser.add_argument(
        "--scale-reps", type=int, default=1, help="repetitions of C=32/64/256 (acmehub only)"
    )
    parser.add_argument(
        "--saturation-clients",
        default=",".join(map(str, SATURATION_CLIENTS)),
        help="the saturation ladder's client counts (comma-separated)",
    )
    parser.add_argument(
        "--pebble-max-clients",
        type=int,
        default=PEBBLE_MAX_CLIENTS,
        help="Pebble's top step on the ladder (2.4.0 stalls above ~16 clients)",
    )
    parser.add_argument("--saturation-duration", type=float, default=10.0, help="s per step")
    parser.add_argument("--saturation-reps", type=int, default=1, help="repetitions of the climb")
    parser.add_argument(
        "--saturation-gain",
        type=float,
        default=5.0,
        help="a server stops climbing when a step gains less than this many percent orders/s",
    )
    add_poll_options(parser)
    parser.add_argument("--soak", action="store_true", help="also 256 clients for a long run")
    parser.add_argument("--soak-duration", type=float, default=60.0)
    parser.add_argument("--certbot-runs", type=int, default=5)
    parser.add_argument("--only", help="comma-separated workload names to run (e.g. 'flow c=8')")
    parser.add_argument("--no-pebble", action="store_true")
    parser.add_argument(
        "--pg-separate-worker",
        action="store_true",
        help="acmehub-pg validates in one separate `acmehub worker` process instead of in each "
        "of its 2 serve processes",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--sqlite-processes",
        type=int,
        default=1,
        help="also run acmehub on SQLite with this many serve processes (validation in each)",
    )
    parser.add_argument("--no-certbot", action="store_true")
    parser.add_argument("--pg-admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL", DEFAULT_PG))
    parser.add_argument("--http", choices=("raw", "httpx"), default="raw", help="loadgen transport")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON record of the run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument("--report", type=Path, help="print the table of an earlier --out file")
    args = parser.parse_args(argv)
    if args.report:
        recorded = json.loads(args.report.read_text())
        recorded["summary"] = summarise(recorded["records"])  # today's rules for the medians
        print(report(recorded))
        return 0
    needed = ["pebble-challtestsrv"] + ([] if args.no_pebble else ["pebble"])
    missing = [name for name in needed if shutil.which(name) is None]
    if missing:
        print(
            f"bench: {', '.join(missing)} not found: Debian's pebble package has them"
            " (`make bench` installs it where it can)",
            file=sys.stderr,
        )
        return 2
    reps = 1 if args.quick else args.reps
    certbot_runs = 1 if args.quick else args.certbot_runs
    workloads = plan(args)

    work = Path(tempfile.mkdtemp(prefix="acmehub-bench-"))
    procs = Procs(work)
    database = PostgresDatabase(args.pg_admin_url)
    started = datetime.now(UTC)
    records: list[dict[str, Any]] = []
    certbot: dict[str, list[dict[str, Any]]] = {}
    notes: list[str] = []
    failed = False
    try:
        print(f"bench: work directory {work}", flush=True)
        dns_port = start_dns(procs)
        responder_port = free_port()
        targets: list[Target] = []
        targets.append(
            start_acmehub(
                procs, "acmehub-sqlite", work / "sqlite-state",
                http01_port=responder_port, dns_port=dns_port,
            )
        )  # fmt: skip
        if args.sqlite_processes > 1:
            targets.append(
                start_acmehub(
                    procs, f"acmehub-sqlite-{args.sqlite_processes}p", work / "sqlite-mp-state",
                    http01_port=responder_port, dns_port=dns_port,
                    processes=args.sqlite_processes, separate_worker=False,
                )
            )  # fmt: skip
        if not args.no_postgres:
            if database.available():
                processes = 2 if serve_supports_processes() else 1
                if processes == 1:
                    notes.append(
                        "acmehub-pg: `acmehub serve` has no --processes option yet: one serve "
                        "process with in-process validation (the issue wants 2)"
                    )
                targets.append(
                    start_acmehub(
                        procs, "acmehub-pg", work / "pg-state",
                        http01_port=responder_port, dns_port=dns_port,
                        database_url=database.create(), processes=processes,
                        separate_worker=args.pg_separate_worker,
                    )
                )  # fmt: skip
            else:
                notes.append(f"PostgreSQL not reachable at {args.pg_admin_url}: skipped")
        if not args.no_pebble:
            targets.append(
                start_pebble(procs, work / "pebble", http01_port=responder_port, dns_port=dns_port)
            )
        for note in notes:
            print(f"bench: note: {note}", flush=True)
        for t in targets:
            print(f"bench: {t.name}: {t.directory_url} (pids {t.pids}; {'; '.join(t.notes)})")

        troubled: set[str] = set()  # Pebbles whose last workload had failures

        def revive(target: Target, label: str) -> None:
            """A Pebble that stopped answering, or whose last workload had failures, is replaced
            before the next workload, and the record says so (acmehub is never restarted: its
            failures count). Pebble 2.4.0 can deadlock on its own state under load: it then
            still serves its directory, but no POST returns."""
            if target.kind != "pebble":
                return
            if target.name not in troubled and answers(target):
                return
            troubled.discard(target.name)
            restart_pebble(
                procs, target, work / "pebble", http01_port=responder_port, dns_port=dns_port
            )
            note = f"Pebble stopped answering; restarted before {label}"
            notes.append(note)
            print(f"bench: note: {note}", flush=True)

        def measure(t: Target, w: Workload, rep: int) -> dict[str, Any]:
            label = f"{w.name} {t.name} rep {rep + 1}"
            revive(t, label)
            print(f"bench: {label} ...", end=" ", flush=True)
            rec = run_loadgen(t, w, responder_port, work, label, args.http, poll)
            rec.update(workload=w.name, target=t.name, rep=rep + 1)
            records.append(rec)
            if "error" in rec or rec.get("failed"):
                troubled.add(t.name)
            if "error" in rec:
                print(f"ERROR {rec['error'][:300]}", flush=True)
            else:
                polls = rec.get("polls", {}).get("authz_per_order")
                print(
                    f"{rec['rate_per_s']} {rec['unit']}/s, p99 "
                    f"{rec['latency_ms']['operation'].get('p99')} ms, "
                    f"{(rec.get('server') or {}).get('cpu_ms_per_op')} CPU-ms/op, "
                    + (f"{polls} authz polls/order, " if polls is not None else "")
                    + f"gen {rec['generator']['cpu_s'] / rec['elapsed_s']:.2f} cores, "
                    f"{rec['failed']} failed",
                    flush=True,
                )
            return rec

        poll = Poll(args.first_poll_ms, args.poll_cap_ms)
        order = rotations(targets)
        for rep in range(reps):
            servers = next(order)
            for w in workloads:
                if w.ladder:
                    climb(w, servers, rep, measure)
                    continue
                for t in servers:
                    if applies(w, t, rep):
                        measure(t, w, rep)

        if not args.no_certbot:
            certbot_targets = [t for t in targets if t.name in ("acmehub-sqlite", "pebble")]
            for i in range(certbot_runs):
                for t in certbot_targets if i % 2 == 0 else certbot_targets[::-1]:
                    revive(t, f"certbot {t.name} run {i + 1}")
                    result = run_certbot(t, responder_port, work, i)
                    certbot.setdefault(t.name, []).append(result)
                    print(f"bench: certbot {t.name} run {i + 1}: {result}", flush=True)

        result = {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "acmehub_version": source_version(),
            "argv": sys.argv[1:] if argv is None else argv,
            "poll_policy": poll.policy(),
            "notes": notes,
            "targets": [asdict(t) | {"ca_bundle": str(t.ca_bundle)} for t in targets],
            "workloads": [asdict(w) for w in workloads],
            "summary": summarise(records),
            "saturation": summarise_saturation(records),
            "certbot": certbot,
            "records": records,
        }
        print()
        print(report(result))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1, default=str))
        print(f"\nbench: record written to {args.out}")
    except BaseException:
        failed = True
        raise
    finally:
        procs.stop_all()
        try:
            database.drop()
        except Exception as exc:  # the run's outcome matters more than the cleanup's
            print(f"bench: could not drop {database.name}: {exc}", file=sys.stderr)
        if args.keep or failed:
            print(f"bench: logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

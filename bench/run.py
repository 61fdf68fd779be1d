"""`make bench`: acmehub (SQLite, PostgreSQL) and Pebble side by side, same workloads, same run.

Starts pebble-challtestsrv (every name -> 127.0.0.1, no AAAA), acmehub on the embedded default
(SQLite in a fresh state directory), acmehub on a fresh PostgreSQL database (created and dropped
by the run), and Pebble (no VA sleeps, no nonce rejection, no authorization reuse); every
server validates http-01 against the load generator's responder port. Then, for each
repetition, every workload runs against every server in turn (the server order rotates between
repetitions), each workload a `python -m bench.loadgen` subprocess: the flow at 1 and 8
clients and the new-nonce and new-account floods against all three; the flow at 32, 64 and 256
clients against acmehub only (Pebble 2.4.0 stalls above ~16 clients), once by default
(--scale-reps); with --soak, 256 clients for 60 s on SQLite. Last, certbot registers and gets
one certificate for 2 names (http-01, standalone on the responder's port, free by then) from
acmehub (SQLite) and Pebble, alternately, 5 times each.

Prints one table (medians over the repetitions, ratios acmehub/Pebble) and writes every record
to --out (JSON; --report prints the table of such a file again). Every process is stopped by
its PID at the end, on failure too.
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
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def plan(args: argparse.Namespace) -> list[Workload]:
    duration, micro, scale = args.duration, args.micro_duration, args.scale_duration
    soak = args.soak_duration
    if args.quick:
        duration, micro, scale, soak = 3.0, 2.0, 3.0, 5.0
    scale_reps = args.scale_reps
    workloads = [
        Workload("flow c=1", "flow", 1, duration, compare=True),
        Workload("flow c=8", "flow", 8, duration, compare=True),
        Workload("new-nonce c=8", "nonce", 8, micro, compare=True),
        Workload("new-account c=8", "account", 8, micro, compare=True),
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


def run_loadgen(
    target: Target, workload: Workload, responder_port: int, work: Path, label: str, http: str
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
        ok = [r for r in recs if "error" not in r]
        failures: dict[str, int] = {}
        for r in ok:
            for kind, n in r["failures"].items():
                failures[kind] = failures.get(kind, 0) + n
        out[key] = {
            "runs": len(recs),
            "errors": [r["error"] for r in recs if "error" in r],
            "rate": _median([r["rate_per_s"] for r in ok]),
            "p50": _median([r["latency_ms"]["operation"].get("p50") for r in ok]),
            "p99": _median([r["latency_ms"]["operation"].get("p99") for r in ok]),
            "cpu_ms": _median([(r.get("server") or {}).get("cpu_ms_per_op") for r in ok]),
            "req_s": _median([r["requests_per_s"] for r in ok]),
            "completed": sum(r["completed"] for r in ok),
            "failed": sum(r["failed"] for r in ok),
            "failures": failures,
            "http_5xx": sum(r["http_5xx"] for r in ok),
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


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def table(
    summary: dict[str, dict[str, Any]],
    workloads: list[Workload],
    targets: list[Target],
    certbot: dict[str, list[dict[str, Any]]],
) -> str:
    lines = [
        "rate: completed operations/s over the window; p50/p99: operation latency; CPU ms/op: "
        "server process tree CPU / completed; gen, other: cores used by the load generator and "
        "by every other process of the machine meanwhile (noise). Medians over repetitions.",
        "",
    ]
    header = (
        f"{'workload':<16}{'server':<16}{'rate/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU ms/op':>10}{'req/s':>8}{'done':>7}{'failed':>7}{'5xx':>5}{'RSS MiB':>9}"
        f"{'gen':>6}{'other':>6}"
    )
    lines += [header, "-" * len(header)]
    pebble = next((t for t in targets if t.kind == "pebble"), None)
    for w in workloads:
        for t in targets:
            s = summary.get(f"{w.name}|{t.name}")
            if s is None:
                continue
            if s["errors"] and s["rate"] is None:
                lines.append(f"{w.name:<16}{t.name:<16}  ERROR: {s['errors'][0][:80]}")
                continue
            lines.append(
                f"{w.name:<16}{t.name:<16}{_f(s['rate']):>9}{_f(s['p50']):>9}{_f(s['p99']):>9}"
                f"{_f(s['cpu_ms'], 2):>10}{_f(s['req_s'], 0):>8}{s['completed']:>7}"
                f"{s['failed']:>7}{s['http_5xx']:>5}{_f(s['peak_rss_mib']):>9}"
                f"{_f(s['gen_cores'], 2):>6}{_f(s['other_cores'], 2):>6}"
            )
            if s["failures"]:
                lines.append(f"{'':<32}failures: {s['failures']}")
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


def report(result: dict[str, Any]) -> str:
    """The table of a recorded run (the JSON --out wrote)."""
    m = result["machine"]
    workloads = [Workload(**{**w, "servers": tuple(w["servers"])}) for w in result["workloads"]]
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
        *(f"note: {n}" for n in result["notes"]),
        "",
    ]
    return "\n".join(head) + table(result["summary"], workloads, targets, result["certbot"])


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
    parser.add_argument("--soak", action="store_true", help="also 256 clients for a long run")
    parser.add_argument("--soak-duration", type=float, default=60.0)
    parser.add_argument("--certbot-runs", type=int, default=5)
    parser.add_argument("--only", help="comma-separated workload names to run (e.g. 'flow c=8')")
    parser.add_argument("--no-pebble", action="store_true")
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
        print(report(json.loads(args.report.read_text())))
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
                        "process with in-process validation threads (the issue wants 2 + 1 worker)"
                    )
                targets.append(
                    start_acmehub(
                        procs, "acmehub-pg", work / "pg-state",
                        http01_port=responder_port, dns_port=dns_port,
                        database_url=database.create(), processes=processes,
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

        def revive(target: Target, label: str) -> None:
            """A Pebble that stopped answering is replaced before the next workload, and the
            record says so (acmehub is never restarted: its failures count)."""
            if target.kind != "pebble" or answers(target):
                return
            restart_pebble(
                procs, target, work / "pebble", http01_port=responder_port, dns_port=dns_port
            )
            note = f"Pebble stopped answering; restarted before {label}"
            notes.append(note)
            print(f"bench: note: {note}", flush=True)

        order = rotations(targets)
        for rep in range(reps):
            servers = next(order)
            for w in workloads:
                for t in servers:
                    if not applies(w, t, rep):
                        continue
                    label = f"{w.name} {t.name} rep {rep + 1}"
                    revive(t, label)
                    print(f"bench: {label} ...", end=" ", flush=True)
                    rec = run_loadgen(t, w, responder_port, work, label, args.http)
                    rec.update(workload=w.name, target=t.name, rep=rep + 1)
                    records.append(rec)
                    if "error" in rec:
                        print(f"ERROR {rec['error'][:300]}", flush=True)
                    else:
                        print(
                            f"{rec['rate_per_s']} {rec['unit']}/s, p99 "
                            f"{rec['latency_ms']['operation'].get('p99')} ms, "
                            f"{(rec.get('server') or {}).get('cpu_ms_per_op')} CPU-ms/op, "
                            f"{rec['failed']} failed",
                            flush=True,
                        )

        if not args.no_certbot:
            certbot_targets = [t for t in targets if t.name in ("acmehub-sqlite", "pebble")]
            for i in range(certbot_runs):
                for t in certbot_targets if i % 2 == 0 else certbot_targets[::-1]:
                    revive(t, f"certbot {t.name} run {i + 1}")
                    result = run_certbot(t, responder_port, work, i)
                    certbot.setdefault(t.name, []).append(result)
                    print(f"bench: certbot {t.name} run {i + 1}: {result}", flush=True)

        summary = summarise(records)
        print()
        for note in notes:
            print(f"note: {note}")
        print(table(summary, workloads, targets, certbot))
        result = {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "acmehub_version": source_version(),
            "argv": sys.argv[1:] if argv is None else argv,
            "notes": notes,
            "targets": [asdict(t) | {"ca_bundle": str(t.ca_bundle)} for t in targets],
            "workloads": [asdict(w) for w in workloads],
            "summary": summary,
            "certbot": certbot,
            "records": records,
        }
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

"""Profile acmehub under one load-generator workload with py-spy, and summarise where time goes.

    .venv/bin/pip install py-spy          # not a project dependency: a tool for this script
    python -m bench.profile --concurrency 8 --seconds 20 [--gil] [--postgres] [--mode flow]

Starts the DNS server and a fresh acmehub (as `make bench` does), runs the load generator and,
meanwhile `py-spy record` (on-CPU samples) on the acmehub process (all its threads), then prints
the top frames by self and total time (`bench.flame`). The raw profile is kept for flame graphs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import flame
from bench.servers import (
    PostgresDatabase,
    Procs,
    clean_env,
    free_port,
    start_acmehub,
    start_dns,
)

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--mode", choices=("flow", "nonce", "account"), default="flow")
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument(
        "--gil",
        action="store_true",
        help="only the thread holding the GIL: Python CPU, without threads waiting on I/O",
    )
    parser.add_argument("--postgres", action="store_true", help="acmehub on a fresh PG database")
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG)
    parser.add_argument("--out", type=Path, default=Path("acmehub-profile.txt"))
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        print("profile: py-spy not found; .venv/bin/pip install py-spy", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="acmehub-profile-"))
    procs = Procs(work)
    database = PostgresDatabase(args.pg_admin_url)
    try:
        dns_port = start_dns(procs)
        responder_port = free_port()
        target = start_acmehub(
            procs,
            "acmehub",
            work / "state",
            http01_port=responder_port,
            dns_port=dns_port,
            database_url=database.create() if args.postgres else "",
        )
        root = Path(__file__).resolve().parent.parent
        loadgen = [
            sys.executable, "-m", "bench.loadgen",
            "--directory", target.directory_url,
            "--ca-bundle", str(target.ca_bundle),
            "--mode", args.mode,
            "--concurrency", str(args.concurrency),
            "--duration", str(args.seconds + 4),
            "--responder-port", str(responder_port),
            "--server-pid", str(target.pids[0]),
        ]  # fmt: skip
        generator = subprocess.Popen(loadgen, cwd=root, env=clean_env())
        try:
            time.sleep(2)  # setup and warm-up are not profiled
            spy = [
                py_spy, "record", "--pid", str(target.pids[0]),
                "--rate", str(args.rate), "--duration", str(int(args.seconds)),
                "--format", "raw", "--output", str(args.out), "--nonblocking",
            ]  # fmt: skip
            if args.gil:
                spy.append("--gil")
            subprocess.run(spy, check=True, timeout=args.seconds + 60)
            generator.wait(timeout=args.seconds + 300)
        finally:
            Procs.stop(generator)
        print(flame.summarise(args.out.read_text(), args.top, None))
        print()
        print(flame.summarise(args.out.read_text(), args.top, "acmehub/"))
        print(f"\nprofile: raw py-spy output in {args.out}")
    finally:
        procs.stop_all()
        database.drop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

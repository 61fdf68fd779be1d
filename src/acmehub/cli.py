"""`acmehub` command line: init | serve | worker | migrate, and the administration commands
(authority | ra-profile | acme-profile | account | eab | certificate | token | user | audit |
openapi)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from acmehub import bootstrap, cli_admin, listener_tls, setup_state
from acmehub.config import ConfigError, Settings, load_settings
from acmehub.domain.errors import DomainError
from acmehub.domain.public_suffixes import bundled_public_suffixes
from acmehub.domain.urls import Urls
from acmehub.protocol.http_server import JoinedWritesHttpProtocol
from acmehub.storage import maintenance, migrate


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(Path(args.config) if args.config else None)
    logging.getLogger().setLevel(settings.log_level)
    return settings


def _print_urls(settings: Settings) -> None:
    urls = Urls(settings.base_url)
    print(f"acmehub: ACME directory   {urls.directory(bootstrap.DEFAULT_NAME)}", flush=True)
    print(
        f"acmehub: RA-profile form  {urls.ra_directory(bootstrap.DEFAULT_NAME)}",
        flush=True,
    )
    print(f"acmehub: CA bundle to trust {settings.ca_bundle.resolve()}", flush=True)


def _set_up(settings: Settings, *, upgrade: bool = True) -> bootstrap.Container:
    """Finish whatever set-up is missing (setup_state.py) and say what was done."""
    report, container = setup_state.finish(settings, upgrade=upgrade)
    for line in report.lines():
        print(f"acmehub: {line}", flush=True)
    return container


def cmd_init(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _set_up(settings).engine.dispose()
    print(f"acmehub: initialized {settings.state_dir.resolve()}")
    _print_urls(settings)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    container = _set_up(settings)
    try:
        print(f"acmehub: schema at {migrate.current_revision(container.engine)}")
    finally:
        container.engine.dispose()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)
    # A new database is set up here; one on an older schema needs `acmehub migrate`.
    container = _set_up(settings, upgrade=not bootstrap.is_initialized(settings))
    tls = listener_tls.ensure_tls_files(container)
    options: dict[str, Any] = {
        "host": settings.listen_host,
        "port": settings.listen_port,
        "ssl_certfile": str(tls[0]) if tls else None,
        "ssl_keyfile": str(tls[1]) if tls else None,
        "log_level": settings.log_level.lower(),
        "access_log": False,
        # The client address comes from the socket, or from a proxy's header only when the
        # peer is one of the configured trusted_proxies (admin_edge.ClientAddress); uvicorn's
        # own rewriting would believe any local peer's X-Forwarded-For.
        "proxy_headers": False,
        "loop": "uvloop",
        "http": JoinedWritesHttpProtocol,
        "timeout_graceful_shutdown": 10,
    }
    _print_urls(settings)
    print(
        f"acmehub: listening on {settings.listen_host}:{settings.listen_port}"
        f" ({args.processes} process{'es' if args.processes > 1 else ''})",
        flush=True,
    )
    if args.processes > 1:
        # N server processes on one port (uvicorn's supervisor); each builds its own container
        # from the same settings and runs its own validation threads and housekeeping.
        container.engine.dispose()
        if args.config:
            os.environ["ACMEHUB_CONFIG"] = str(Path(args.config).resolve())
        uvicorn.run(
            "acmehub.bootstrap:app_from_environment",
            factory=True,
            workers=args.processes,
            # A process imports and builds everything before it answers; on a busy machine
            # that takes longer than uvicorn's default 5 s health check.
            timeout_worker_healthcheck=60,
            **options,
        )
        return 0
    app = bootstrap.create_app(container, background=True)
    try:
        uvicorn.Server(uvicorn.Config(app, **options)).run()
    finally:
        container.engine.dispose()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import uvloop

    settings = _settings(args)
    container = bootstrap.build_container(settings)
    bootstrap.check_schema(container)
    concurrency = args.concurrency or max(settings.validation_workers, 1)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_run_worker(container, concurrency))
    return 0


async def _run_worker(container: bootstrap.Container, concurrency: int) -> None:
    """`acmehub worker`: validations in this event loop until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    jobs = await bootstrap.start_background_jobs(container, concurrency)
    print("acmehub: validation worker running", flush=True)
    try:
        await stop.wait()
    finally:
        await jobs.stop()
        container.queue.close()
        await container.gate.aclose()
        container.engine.dispose()


def cmd_db_stats(args: argparse.Namespace) -> int:
    settings = _settings(args)
    container = bootstrap.build_container(settings)
    try:
        sizes = maintenance.table_sizes(container.engine)
    finally:
        container.engine.dispose()
    print(f"{'table':<20} {'rows':>10} {'bytes':>12}")
    for size in sizes:
        shown = "-" if size.bytes is None else str(size.bytes)
        print(f"{size.name:<20} {size.rows:>10} {shown:>12}")
    return 0


def _sqlite_only(settings: Settings, what: str) -> None:
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        raise ConfigError(
            f"{what} covers the embedded default (SQLite); back up PostgreSQL with its own "
            f"tools (pg_dump, pg_basebackup) and keep the key-encryption key"
            f" ({settings.kek_path} or ${settings.ca_kek_env}) safe apart from them"
        )


def cmd_backup(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _sqlite_only(settings, "acmehub backup")
    maintenance.backup_sqlite(settings.state_dir / "acmehub.db", settings.ca_dir, args.archive)
    print(f"acmehub: backed up {settings.state_dir} to {args.archive}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _sqlite_only(settings, "acmehub restore")
    try:
        maintenance.restore_sqlite(args.archive, settings.state_dir)
    except FileExistsError as exc:
        print(f"acmehub: {exc}", file=sys.stderr)
        return 1
    print(f"acmehub: restored {args.archive} into {settings.state_dir}")
    return 0


def version_text() -> str:
    """acmehub's version and the Public Suffix List's (the identifier policy uses it)."""
    return (
        f"acmehub {metadata.version('acmehub')}\n"
        f"public suffix list: {bundled_public_suffixes().describe()}"
    )


class _VersionAction(argparse.Action):
    """``--version``, computed only when asked (reading the suffix list takes a moment)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the versions and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="acmehub", description=__doc__)
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--config", help="TOML configuration file (or ACMEHUB_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "init",
        help="finish whatever set-up is missing: schema, key-encryption key, embedded CA, "
        "default profiles (safe to run again)",
    ).set_defaults(func=cmd_init)
    serve = sub.add_parser("serve", help="serve ACME (initializing the embedded default if needed)")
    serve.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes sharing the port and the database (default 1)",
    )
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run validations from the shared database")
    worker.add_argument(
        "--concurrency",
        "--threads",
        dest="concurrency",
        type=int,
        default=0,
        help="validations run at once (default: validation_workers, at least 1)",
    )
    worker.set_defaults(func=cmd_worker)
    sub.add_parser(
        "migrate", help="upgrade the database schema in place (and finish set-up, as init)"
    ).set_defaults(func=cmd_migrate)
    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("stats", help="rows and on-disk size of each table").set_defaults(
        func=cmd_db_stats
    )
    backup = sub.add_parser(
        "backup", help="online backup of the embedded default (SQLite + CA keys) to a .tar.gz"
    )
    backup.add_argument("archive", type=Path)
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="unpack a backup into a new state directory")
    restore.add_argument("archive", type=Path)
    restore.set_defaults(func=cmd_restore)
    cli_admin.register(sub)  # authority, ra-profile, ..., token, audit, openapi
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        result: int = args.func(args)
    except ConfigError as exc:
        print(f"acmehub: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"acmehub: {exc.detail}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())

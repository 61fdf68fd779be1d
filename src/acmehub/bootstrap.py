"""The composition root: the one place that builds engine, clock, CA registry, VA, services, app."""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import logging
import os
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Literal

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from acmehub.admin_edge import BodyLimit, ClientAddress
from acmehub.ca.embedded.keys import environ_passphrases
from acmehub.ca.embedded.provisioner import EmbeddedProvisioner
from acmehub.ca.embedded.sealing import Kek, parse_kek, read_kek_file
from acmehub.ca.registry import CaRegistry
from acmehub.config import ConfigError, Settings, load_settings
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Authority
from acmehub.domain.ports import NonceStore
from acmehub.domain.urls import Urls
from acmehub.management.app import create_management_app
from acmehub.management.problems import body_too_large as api_body_too_large
from acmehub.management.problems import unmatched_path_handler
from acmehub.protocol.app import AcmeApp, AcmeEndpoint, ProtocolSettings, crl_route
from acmehub.protocol.links import crl_url
from acmehub.services.container import Services
from acmehub.services.deps import ServiceDeps
from acmehub.services.housekeeping import Housekeeper
from acmehub.services.sign_in_throttle import ThrottlePolicy
from acmehub.storage import migrate
from acmehub.storage.engine import WriteGate, make_engine
from acmehub.storage.machine_nonces import MachineNonceStore, machine_boot_id
from acmehub.storage.nonces import ProcessNonceStore, SqlNonceStore
from acmehub.storage.unit_of_work import SqlUnitOfWorkFactory
from acmehub.storage.validation_queue import SqlValidationQueue
from acmehub.validation.registry import ValidationAuthority
from acmehub.validation.settings import VaSettings
from acmehub.validation.worker import ValidationWorker, WorkerSettings
from acmehub.webui import create_webui_app
from acmehub.webui.app import body_too_large as ui_body_too_large

log = logging.getLogger("acmehub")

DEFAULT_NAME = "default"


class SystemClock:
    """The only place acmehub reads the wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Container:
    settings: Settings
    clock: SystemClock
    engine: Engine
    services: Services
    ca: CaRegistry
    queue: SqlValidationQueue
    va: ValidationAuthority
    gate: WriteGate


def build_container(
    settings: Settings,
    clock: SystemClock | None = None,
    *,
    server_processes: int = 1,
    environ: Mapping[str, str] | None = None,
) -> Container:
    """``server_processes``: how many processes serve ACME requests on this database (what
    the "auto" nonce store chooses by); ``environ``: where CA key passphrases and the
    ``ca_kek_env`` variable are read (default: the process environment)."""
    environ = os.environ if environ is None else environ
    clock = clock or SystemClock()
    engine = make_engine(settings.database)
    base_url = settings.base_url

    def crl_for(authority: Authority) -> str | None:
        return crl_url(base_url, authority.uuid)

    kek = load_kek(settings, environ)
    ca = CaRegistry(passphrase_lookup=environ_passphrases(environ), crl_url_for=crl_for, kek=kek)
    gate = WriteGate(engine)
    queue = SqlValidationQueue(gate)
    va = ValidationAuthority(
        VaSettings(
            http01_port=settings.http01_port,
            tlsalpn01_port=settings.tlsalpn01_port,
            timeout=settings.validation_timeout,
            # A whole validation ends well within the worker's lease on its challenge.
            total_timeout=min(60.0, settings.validation_timeout * 6),
            resolver_ip=settings.dns_resolver_ip or None,
            resolver_port=settings.dns_resolver_port,
            allowed_networks=settings.validation_allowed_networks,
            # Validation never connects to acmehub itself (issue 15).
            own_listeners=listener_addresses(settings.listen_host, settings.listen_port),
        )
    )
    deps = ServiceDeps(
        uow=SqlUnitOfWorkFactory(gate, clock),
        clock=clock,
        nonces=_nonce_store(settings, gate, clock, server_processes),
        ca=ca,
        queue=queue,
        provisioner=EmbeddedProvisioner(kek, clock.now),
        urls=Urls(settings.base_url),
        # Baseline Requirements 3.2.2.8: CAA checked again at finalize by the VA.
        caa=va,
        # An IP identifier validation would never connect to is refused at new-order.
        addresses=va,
        caa_recheck_after=timedelta(seconds=settings.caa_recheck_seconds),
        backdate=timedelta(seconds=settings.backdate_seconds),
    )
    sign_in = ThrottlePolicy(lockout_after=settings.sign_in_lockout_failures)
    services = Services.build(deps, sign_in=sign_in)
    return Container(settings, clock, engine, services, ca, queue, va, gate)


def listener_addresses(host: str, port: int) -> tuple[tuple[str, int], ...]:
    """The (IP address, port) pairs ``serve`` listens on, for the VA to refuse: ``host`` itself
    when it is an address (0.0.0.0 and :: stand for every local address), else what the
    system resolves it to (a name such as "localhost")."""
    try:
        return ((str(ipaddress.ip_address(host)), port),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return ()  # serve fails to bind to it too, and says so
    addresses = {str(info[4][0]).split("%")[0] for info in infos}
    return tuple((address, port) for address in sorted(addresses))


def load_kek(settings: Settings, environ: Mapping[str, str]) -> Kek | None:
    """This machine's key-encryption key for CA keys in the database: the ``ca_kek_env``
    variable, else the ``kek_path`` file (refused when group or others may read it), else
    None."""
    value = environ.get(settings.ca_kek_env)
    if value:
        return parse_kek(value, f"${settings.ca_kek_env}")
    path = settings.kek_path
    return read_kek_file(path) if path.exists() else None


def create_app(container: Container, *, background: bool = False) -> AcmeApp:
    """One ASGI app: the ACME routes first (they include /api/v1/protocols/acme/...), then the
    management API under /api/v1 and the web interface under /ui (``/`` leads there). With
    ``background``, the app's lifespan runs this process's validation worker (in the server's
    event loop) and housekeeping."""
    settings = container.settings
    endpoint = AcmeEndpoint(container.services, ProtocolSettings(base_url=settings.base_url))
    routes: list[BaseRoute] = [crl_route(container.services)]
    # The administrative apps: bodies capped before anything reads them, and the real client
    # address (trusted proxies only) in the scope before anything audits it.
    management = create_management_app(container.services)
    webui = create_webui_app(container.services)
    for path, app, refusal in (
        ("/api/v1", management, api_body_too_large),
        ("/ui", webui, ui_body_too_large),
    ):
        edge = ClientAddress(BodyLimit(app, refusal), settings.trusted_proxies)
        routes.append(Mount(path, app=edge))
    routes.append(Route("/", _to_web_interface))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        jobs = await start_background_jobs(container) if background else None
        try:
            yield
        finally:
            if jobs is not None:
                await jobs.stop()
            container.queue.close()
            await container.gate.aclose()

    router = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: unmatched_path_handler},
    )
    return AcmeApp(endpoint, router)


async def _to_web_interface(request: Request) -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=307)


@dataclass(frozen=True)
class BackgroundJobs:
    """What a process runs beside answering requests: its validation worker (asyncio tasks in
    the event loop it was started in) and housekeeping (a thread)."""

    worker: ValidationWorker | None
    housekeeper: Housekeeper

    async def stop(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        self.housekeeper.stop()


async def start_background_jobs(
    container: Container, concurrency: int | None = None
) -> BackgroundJobs:
    """Start the worker (``concurrency`` validations at once, default ``validation_workers``;
    0: none) in the running event loop, and housekeeping."""
    if concurrency is None:
        concurrency = container.settings.validation_workers
    worker = make_worker(container, concurrency) if concurrency > 0 else None
    if worker is not None:
        await worker.start()
    housekeeper = make_housekeeper(container)
    housekeeper.start()
    return BackgroundJobs(worker, housekeeper)


def _nonce_store(
    settings: Settings, gate: WriteGate, clock: SystemClock, server_processes: int
) -> NonceStore:
    lifetime = timedelta(seconds=settings.nonce_lifetime)
    kind = settings.nonce_store
    if kind == "auto":
        kind = _auto_nonce_store(gate.engine.dialect.name, server_processes, machine_boot_id())
    if kind == "memory":
        return ProcessNonceStore(clock, lifetime)
    if kind == "machine":
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            return MachineNonceStore(settings.state_dir / "nonces.map", clock, lifetime)
        except ValueError as exc:
            raise ConfigError(f"nonce_store = machine: {exc}") from exc
    return SqlNonceStore(gate, clock, lifetime)


def _auto_nonce_store(
    dialect: str, server_processes: int, boot_id: str | None
) -> Literal["memory", "machine", "database"]:
    """What ``nonce_store = auto`` means. On PostgreSQL the database, whatever the number of
    processes: other `serve` commands on other machines (web nodes behind a load balancer) may
    share it, and only the database reaches them all. On SQLite every process is on this
    machine: memory for one process, the state directory's file for several (it needs the boot
    id to be crash-safe; without one, the database)."""
    if dialect != "sqlite":
        return "database"
    if server_processes == 1:
        return "memory"
    return "machine" if boot_id is not None else "database"


def app_from_environment() -> AcmeApp:
    """ASGI app factory for server processes started by uvicorn (``serve --processes N``):
    settings come from ACMEHUB_CONFIG and ACMEHUB_* like every other entry point."""
    # Only `serve --processes N` (N > 1) starts processes this way.
    container = build_container(load_settings(None), server_processes=2)
    check_schema(container)
    return create_app(container, background=True)


def make_housekeeper(container: Container) -> Housekeeper:
    services, settings = container.services, container.settings
    return Housekeeper(
        services.deps,
        services.finalize,
        interval=settings.housekeeping_interval,
        stuck_after=timedelta(seconds=settings.stuck_order_seconds),
    )


def make_worker(
    container: Container, concurrency: int, name: str | None = None
) -> ValidationWorker:
    return ValidationWorker(
        container.services.authorizations,
        container.va,
        container.queue,
        container.clock,
        WorkerSettings(
            name=name or worker_name(container.settings),
            concurrency=concurrency,
            lease_seconds=container.settings.validation_lease_seconds,
        ),
    )


#: The process slots this process holds (see worker_name): open, hence locked, until it exits.
_held_slots: list[IO[bytes]] = []


def worker_name(settings: Settings) -> str:
    """A validation worker's name, stable across restarts of the same process slot:
    host name, a digest of the database and state directory, and the lowest slot number no
    live process of this machine holds (a lock file in the state directory, released by the
    kernel when its process dies). A restarted process thus gets its predecessor's name and
    takes back the challenges it held at once (``claim(..., resume=True)``); two live
    processes never share a name."""
    prefix = worker_name_prefix(settings)
    slots = settings.state_dir / "worker-slots"
    try:
        slots.mkdir(parents=True, exist_ok=True)
        for index in range(4096):
            handle = (slots / f"{index}.lock").open("ab")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _held_slots.append(handle)
            return f"{prefix}:{index}"
    except OSError:
        log.warning("no worker slot in %s; naming the worker by its process id", slots)
    return f"{prefix}:pid{os.getpid()}"


def worker_name_prefix(settings: Settings) -> str:
    """What the names of every worker of one node share: its host name and a digest of its
    database and state directory (:func:`worker_name` adds the slot)."""
    place = f"{settings.database}\0{settings.state_dir.resolve()}".encode()
    return f"{socket.gethostname()}:{hashlib.sha256(place).hexdigest()[:10]}"


# ------------------------------------------------------------------ the embedded default


def is_initialized(settings: Settings) -> bool:
    if settings.database_url:
        engine = make_engine(settings.database)
        try:
            return migrate.current_revision(engine) is not None
        finally:
            engine.dispose()
    return (settings.state_dir / "acmehub.db").exists()


def check_schema(container: Container) -> None:
    current = migrate.current_revision(container.engine)
    head = migrate.head_revision()
    if current != head:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL,
            f"database schema is at {current or 'nothing'}, this acmehub needs {head}: "
            f"run `acmehub migrate`",
        )

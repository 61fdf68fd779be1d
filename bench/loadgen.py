"""A load generator for ACME servers: C concurrent virtual clients against any directory URL.

Modes:
  flow     the complete issuance flow, repeated by every virtual client until the time is up:
           new-order for K names, POST-as-GET of each authorization, http-01 answered by one
           in-process responder, POST {} to each challenge, polling of the authorization,
           finalize with a CSR, polling of the order, certificate download. Accounts are made
           once per virtual client before the timed window (``--account-per client``) or inside
           every order (``--account-per order``).
  nonce    HEAD new-nonce as fast as possible.
  account  new-account with a fresh key each time.

Every request reuses the Replay-Nonce of the previous response (one retry on badNonce). The
poll policy: the first poll of an authorization comes at most ``--first-poll-ms`` (10) after
its challenge POST, the first poll of an order at most 10 ms after finalize (when the order is
not yet valid); later polls wait Retry-After capped at ``--poll-cap-ms`` (50), or without
Retry-After double the previous wait, up to the same cap. So the generator's sleeps do not
hide the server's speed; "authz polls/order" (in the record) shows how often a server makes
its clients poll. Keys are generated
before the timed window. Before it, every virtual client also completes ``--warmup`` operations
that are not counted. Clients stop starting operations when ``--duration`` is up; those in
flight finish and count, and the rate is over the whole window.

HTTP/1.1 keep-alive, one connection per virtual client, TLS verified against ``--ca-bundle``.
The default transport is bench.http1 (asyncio streams): httpx (``--http httpx``) costs ~1 ms
of CPU per request on a small VM, and at 8 clients against Pebble the generator's one event
loop, not Pebble, was then the limit (30 orders/s with httpx, 55 with bench.http1).

With ``--server-pid`` (or ``--server-port`` to look the PID up by its listening socket) the CPU
seconds of that process tree are read from /proc before and after the window and its resident
memory is sampled during it.

    python -m bench.loadgen --directory https://127.0.0.1:8443/acme/default/directory \\
        --ca-bundle acmehub-state/ca/root.pem --concurrency 8 --duration 20 \\
        --responder-port 5002 --server-port 8443 --json result.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import os
import secrets
import ssl
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

if importlib.util.find_spec("sniffio") is None:
    # httpcore imports sniffio on every request to tell asyncio from trio; when it is not
    # installed, each failed import searches sys.path again (13% of the generator's CPU).
    # A None entry makes the import fail at once, with the same outcome (asyncio).
    sys.modules["sniffio"] = None  # type: ignore[assignment]

from bench import http1, procstat
from bench.acme import (
    PEM_CHAIN,
    AcmeError,
    ClientLike,
    Directory,
    ResponseLike,
    Session,
    Signer,
    b64url,
    csr_der,
    generate_key,
    retry_after,
)
from bench.responder import Http01Responder
from bench.stats import Stats

Mode = Literal["flow", "nonce", "account"]
Transport = Literal["httpx", "raw"]
MODES: tuple[Mode, ...] = ("flow", "nonce", "account")
UNITS = {"flow": "orders", "nonce": "nonces", "account": "accounts"}
#: Pre-generated keys for modes that need a fresh account key per operation.
KEY_POOL = 4000


@dataclass
class Options:
    directory: str
    mode: Mode = "flow"
    concurrency: int = 8
    duration: float = 20.0
    names: int = 1
    account_per: Literal["client", "order"] = "client"
    domain: str = "bench.test"
    responder_host: str = "127.0.0.1"
    responder_port: int = 5002
    ca_bundle: str | None = None
    insecure: bool = False
    #: The first poll of an authorization (order) at most this long after the challenge
    #: POST (finalize); later polls: Retry-After or twice the previous wait, capped.
    first_poll: float = 0.01
    poll_cap: float = 0.05
    order_timeout: float = 60.0
    warmup: int = 1
    server_pids: list[int] = field(default_factory=list)
    rss_interval: float = 0.5
    label: str = ""
    #: "raw": bench.http1 (a tenth of httpx's CPU per request), or "httpx".
    transport: Transport = "raw"


class Run:
    """The shared state of one run: options, stats, responder, key pool, order naming."""

    def __init__(self, opts: Options, directory: Directory, responder: Http01Responder | None):
        self.opts = opts
        self.directory = directory
        self.responder = responder
        self.stats = Stats()
        self.run_id = secrets.token_hex(3)
        self.keys: list[ec.EllipticCurvePrivateKey] = []
        self.deadline = 0.0

    def pregenerate(self) -> None:
        per_op = self.opts.mode == "account" or (
            self.opts.mode == "flow" and self.opts.account_per == "order"
        )
        count = KEY_POOL if per_op else 0
        self.keys = [generate_key() for _ in range(count + 2 * self.opts.concurrency)]

    def take_key(self) -> ec.EllipticCurvePrivateKey:
        return self.keys.pop() if self.keys else generate_key()

    def names(self, client: int, seq: int) -> list[str]:
        base = f"c{client}.r{self.run_id}.{self.opts.domain}"
        return [f"o{seq}-{k}.{base}" for k in range(self.opts.names)]

    def first_delay(self, response: ResponseLike, since: float) -> float:
        """The wait before the first poll: at most ``first_poll`` after ``since`` (when the
        challenge POST or finalize was answered), sooner if Retry-After asks for less."""
        wanted = min(retry_after(response, self.opts.first_poll), self.opts.first_poll)
        return max(0.0, wanted - (time.monotonic() - since))

    def next_delay(self, response: ResponseLike, previous: float) -> float:
        """The wait before a later poll: Retry-After, or twice the previous wait (at least
        ``first_poll``) without one; capped at ``poll_cap``."""
        backoff = max(2 * previous, self.opts.first_poll)
        return min(retry_after(response, backoff), self.opts.poll_cap)


def poll_policy(first_poll: float, poll_cap: float) -> dict[str, Any]:
    """The poll policy (waits in seconds), as records state it."""
    return {
        "first_poll_ms": round(first_poll * 1000, 3),
        "poll_cap_ms": round(poll_cap * 1000, 3),
        "rule": "first authz poll <= first_poll_ms after the challenge POST, first order poll "
        "<= first_poll_ms after finalize; then Retry-After, or twice the previous wait without "
        "one, capped at poll_cap_ms",
    }


def describe_poll_policy(policy: dict[str, Any]) -> str:
    return (
        f"poll policy: first poll <= {policy['first_poll_ms']:g} ms after the challenge "
        f"POST / finalize, then Retry-After (or doubling) capped at "
        f"{policy['poll_cap_ms']:g} ms"
    )


@dataclass
class Polls:
    """The polls of one order."""

    authz: int = 0
    order: int = 0


class VirtualClient:
    def __init__(self, run: Run, index: int, http: ClientLike) -> None:
        self.run = run
        self.index = index
        self.session = Session(http, run.directory, run.stats)
        self.signer = Signer(run.take_key())
        self.cert_key = run.take_key()
        self.kid: str | None = None
        self.seq = itertools.count()

    # --- setup -------------------------------------------------------------------------------

    async def setup(self) -> None:
        if self.run.opts.mode == "flow" and self.run.opts.account_per == "client":
            self.kid = await self.session.new_account(self.signer)

    # --- operations --------------------------------------------------------------------------

    async def nonce_op(self) -> None:
        await self.session.new_nonce()

    async def account_op(self) -> None:
        await self.session.new_account(Signer(self.run.take_key()))

    async def order_op(self) -> Polls:
        run, session = self.run, self.session
        polls = Polls()
        signer, kid = self.signer, self.kid
        if run.opts.account_per == "order" or kid is None:
            signer = Signer(run.take_key())
            kid = await session.new_account(signer)
        names = run.names(self.index, next(self.seq))
        payload = {"identifiers": [{"type": "dns", "value": n} for n in names]}
        response = await session.post("new-order", run.directory.new_order, signer, payload, kid)
        order_url = response.headers.get("Location") or ""
        order = response.json()
        tokens: list[str] = []
        try:
            waiting: list[tuple[str, ResponseLike, float]] = []
            for authz_url in order["authorizations"]:
                authz = (await session.post("authz", authz_url, signer, None, kid)).json()
                if authz["status"] == "valid":
                    continue
                challenge = next(c for c in authz["challenges"] if c["type"] == "http-01")
                token = challenge["token"]
                assert run.responder is not None
                run.responder.tokens[token] = signer.key_authorization(token)
                tokens.append(token)
                answered = await session.post("challenge", challenge["url"], signer, {}, kid)
                waiting.append((authz_url, answered, time.monotonic()))
            for authz_url, answered, at in waiting:
                valid = answered.json().get("status") == "valid"
                first = 0.0 if valid else run.first_delay(answered, at)
                polls.authz += await self._poll_authz(authz_url, signer, kid, first)
            csr = b64url(csr_der(names, self.cert_key))
            response = await session.post("finalize", order["finalize"], signer, {"csr": csr}, kid)
            finalized = time.monotonic()
            order = response.json()
            delay = -1.0
            while order["status"] in ("processing", "ready", "pending"):
                if delay < 0:
                    delay = run.first_delay(response, finalized)
                else:
                    delay = run.next_delay(response, delay)
                await asyncio.sleep(delay)
                response = await session.post("order-poll", order_url, signer, None, kid)
                polls.order += 1
                order = response.json()
            if order["status"] != "valid":
                raise AcmeError(f"order-{order['status']}", response.status_code)
            cert = await session.post(
                "certificate", order["certificate"], signer, None, kid, headers=_CERT_HEADERS
            )
            if not cert.content.startswith(b"-----BEGIN CERTIFICATE-----"):
                raise AcmeError("certificate-not-pem", cert.status_code)
        finally:
            if run.responder is not None:
                for token in tokens:
                    run.responder.tokens.pop(token, None)
        return polls

    async def _poll_authz(self, url: str, signer: Signer, kid: str | None, delay: float) -> int:
        """Poll until valid (an error otherwise); returns the number of polls."""
        polls = 0
        while True:
            if delay > 0:
                await asyncio.sleep(delay)
            response = await self.session.post("authz-poll", url, signer, None, kid)
            polls += 1
            authz = response.json()
            status = authz["status"]
            if status == "valid":
                return polls
            if status not in ("pending", "processing"):
                errors = [c["error"] for c in authz.get("challenges", []) if c.get("error")]
                kind = (
                    str(errors[0].get("type", "")).removeprefix("urn:ietf:params:acme:error:")
                    if errors
                    else ""
                )
                raise AcmeError(f"authz-{status}:{kind}" if kind else f"authz-{status}", 200)
            delay = self.run.next_delay(response, delay)

    # --- the loop ----------------------------------------------------------------------------

    def operation(self) -> Callable[[], Awaitable[Polls | None]]:
        return {"flow": self.order_op, "nonce": self.nonce_op, "account": self.account_op}[
            self.run.opts.mode
        ]

    async def once(self, op: Callable[[], Awaitable[Polls | None]]) -> None:
        stats = self.run.stats
        start = time.perf_counter()
        try:
            polls = await asyncio.wait_for(op(), self.run.opts.order_timeout)
        except AcmeError as exc:
            stats.failure(exc.kind)
        except TimeoutError:
            self.session.forget_nonce()
            stats.failure("timeout")
        except (httpx.HTTPError, http1.TransportError) as exc:
            self.session.forget_nonce()
            stats.failure(f"transport:{type(exc).__name__}")
        except (KeyError, ValueError, TypeError, StopIteration) as exc:
            stats.failure(f"unexpected-response:{type(exc).__name__}")
        except Exception as exc:  # a benchmark counts what it did not expect, and goes on
            self.session.forget_nonce()
            stats.failure(f"unexpected:{type(exc).__name__}")
        else:
            stats.success(time.perf_counter() - start)
            if polls is not None:
                stats.polls(polls.authz, polls.order)
            return
        await asyncio.sleep(0.01)  # no hot loop on a failing server

    async def warm_up(self, count: int) -> None:
        op = self.operation()
        for _ in range(count):
            await self.once(op)

    async def touch(self) -> None:
        """One uncounted new-nonce right before the window: the server may have closed a
        connection that sat idle past its keep-alive timeout while the others set up."""
        for attempt in (1, 2):
            try:
                self.session.keep(await self.session.new_nonce())
                return
            except (httpx.TransportError, http1.TransportError):
                if attempt == 2:
                    raise

    async def loop(self) -> None:
        op = self.operation()
        while time.monotonic() < self.run.deadline:
            await self.once(op)


_CERT_HEADERS = {"Content-Type": "application/jose+json", **PEM_CHAIN}


def ssl_context(opts: Options) -> ssl.SSLContext | bool:
    if opts.insecure:
        return False
    if opts.ca_bundle:
        return ssl.create_default_context(cafile=opts.ca_bundle)
    return ssl.create_default_context()


async def _sample_rss(pids: list[int], interval: float, into: list[tuple[float, int]]) -> None:
    """Sum of VmRSS over the tree every ``interval``; the tree is re-read every 5 s."""
    start = last_scan = time.monotonic()
    tree = procstat.process_tree(pids)
    while True:
        now = time.monotonic()
        if now - last_scan > 5:
            tree, last_scan = procstat.process_tree(pids), now
        into.append((round(now - start, 2), procstat.rss_kib(tree)))
        await asyncio.sleep(interval)


class _Closable(ClientLike, Protocol):
    async def get(self, url: str) -> Any: ...
    async def aclose(self) -> None: ...


def _client(opts: Options, verify: ssl.SSLContext | bool) -> _Closable:
    if opts.transport == "raw":
        context = verify if isinstance(verify, ssl.SSLContext) else None
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http1.Client(context, timeout=30.0)
    return httpx.AsyncClient(
        verify=verify,
        trust_env=False,
        timeout=httpx.Timeout(30.0),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


async def run_workload(opts: Options) -> dict[str, Any]:
    """Run one workload; returns the record (see ``format_report`` for a human view)."""
    verify = ssl_context(opts)
    responder: Http01Responder | None = None
    clients: list[_Closable] = []
    try:
        first = _client(opts, verify)
        clients.append(first)
        response = await first.get(opts.directory)
        if response.status_code != 200:
            raise SystemExit(f"loadgen: GET {opts.directory}: HTTP {response.status_code}")
        directory = Directory.parse(response.json())
        if opts.mode == "flow":
            responder = await Http01Responder(opts.responder_host, opts.responder_port).start()
        run = Run(opts, directory, responder)
        run.pregenerate()
        while len(clients) < opts.concurrency:
            clients.append(_client(opts, verify))
        vclients = [VirtualClient(run, i, http) for i, http in enumerate(clients)]
        await asyncio.gather(*(vc.setup() for vc in vclients))
        await asyncio.gather(*(vc.warm_up(opts.warmup) for vc in vclients))
        await asyncio.gather(*(vc.touch() for vc in vclients))

        rss: list[tuple[float, int]] = []
        sampler = (
            asyncio.create_task(_sample_rss(opts.server_pids, opts.rss_interval, rss))
            if opts.server_pids
            else None
        )
        cpu_before = procstat.tree_cpu_seconds(opts.server_pids) if opts.server_pids else 0.0
        gen_before = os.times()
        busy_before = procstat.system_busy_seconds()
        hits_before = responder.hits if responder else 0
        run.stats.recording = True
        started = time.monotonic()
        run.deadline = started + opts.duration
        await asyncio.gather(*(vc.loop() for vc in vclients))
        elapsed = time.monotonic() - started
        run.stats.recording = False
        gen_after = os.times()
        busy = procstat.system_busy_seconds() - busy_before
        cpu_after = procstat.tree_cpu_seconds(opts.server_pids) if opts.server_pids else 0.0
        if sampler is not None:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            rss.append((round(elapsed, 2), procstat.tree_rss_kib(opts.server_pids)))
        record = _record(opts, run, elapsed, cpu_after - cpu_before, rss)
        gen_cpu = (gen_after.user + gen_after.system) - (gen_before.user + gen_before.system)
        record["generator"] = {"cpu_s": round(gen_cpu, 3)}
        # Everything else the machine did meanwhile (other processes): noise to watch for.
        record["machine"] = {
            "cpus": os.cpu_count(),
            "busy_cores": round(busy / elapsed, 2),
            "other_cores": round((busy - gen_cpu - (cpu_after - cpu_before)) / elapsed, 2),
        }
        if responder is not None:
            record["responder"] = {
                "hits": responder.hits - hits_before,
                "misses": responder.misses,
            }
        return record
    finally:
        for http in clients:
            await http.aclose()
        if responder is not None:
            await responder.stop()


def _record(
    opts: Options, run: Run, elapsed: float, server_cpu: float, rss: list[tuple[float, int]]
) -> dict[str, Any]:
    stats = run.stats.report()
    completed = stats["completed"]
    record: dict[str, Any] = {
        "label": opts.label,
        "options": {k: v for k, v in asdict(opts).items() if k != "server_pids"},
        "unit": UNITS[opts.mode],
        "poll_policy": poll_policy(opts.first_poll, opts.poll_cap),
        "elapsed_s": round(elapsed, 3),
        **stats,
        "rate_per_s": round(completed / elapsed, 2) if elapsed else 0.0,
        "requests_per_s": round(stats["requests"] / elapsed, 1) if elapsed else 0.0,
    }
    if opts.mode != "flow":
        del record["polls"]
    if opts.server_pids:
        peak = max((kib for _, kib in rss), default=0)
        record["server"] = {
            "pids": opts.server_pids,
            "cpu_s": round(server_cpu, 3),
            "cpu_ms_per_op": round(server_cpu * 1000 / completed, 3) if completed else None,
            "cpu_utilisation": round(server_cpu / elapsed, 3) if elapsed else None,
            "peak_rss_mib": round(peak / 1024, 1),
            "rss_start_mib": round(rss[0][1] / 1024, 1) if rss else None,
            "rss_end_mib": round(rss[-1][1] / 1024, 1) if rss else None,
            "vmhwm_mib": round(procstat.tree_hwm_kib(opts.server_pids) / 1024, 1),
            "rss_timeline_kib": rss[:: max(1, len(rss) // 120)],
        }
    return record


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)


def format_report(record: dict[str, Any]) -> str:
    """A table for people."""
    unit = record["unit"]
    opts = record["options"]
    lines = [
        f"{record['label'] or opts['directory']}: mode={opts['mode']} C={opts['concurrency']} "
        f"K={opts['names']} accounts per {opts['account_per']}, {record['elapsed_s']} s",
        f"  {unit}: {record['completed']} completed, {record['failed']} failed"
        + (f" {record['failures']}" if record["failures"] else "")
        + f"; {record['rate_per_s']} {unit}/s, {record['requests_per_s']} requests/s, "
        f"{record['http_5xx']} 5xx, {record['bad_nonce_retries']} badNonce retries",
    ]
    if opts["mode"] == "flow":
        polls = record["polls"]
        lines.insert(1, f"  {describe_poll_policy(record['poll_policy'])}")
        lines.append(
            f"  polls per completed order: {_fmt(polls['authz_per_order'])} authorization, "
            f"{_fmt(polls['order_per_order'])} order"
        )
    if record.get("warmup_failures"):
        lines.append(f"  warm-up failures: {record['warmup_failures']}")
    if "server" in record:
        s = record["server"]
        lines.append(
            f"  server: {s['cpu_s']} CPU-s, {_fmt(s['cpu_ms_per_op'])} CPU-ms per {unit[:-1]}, "
            f"{_fmt(s['cpu_utilisation'])} cores busy, peak RSS {s['peak_rss_mib']} MiB "
            f"(start {s['rss_start_mib']}, end {s['rss_end_mib']}, VmHWM {s['vmhwm_mib']})"
        )
    m = record["machine"]
    lines.append(
        f"  generator: {record['generator']['cpu_s']} CPU-s; machine: {m['busy_cores']} of "
        f"{m['cpus']} cores busy, {m['other_cores']} by other processes"
    )
    lines.append(f"  {'latency ms':<14}{'n':>8}{'p50':>10}{'p90':>10}{'p99':>10}{'max':>10}")
    for name, lat in record["latency_ms"].items():
        if not lat.get("n"):
            continue
        shown = unit[:-1] if name == "operation" else name
        lines.append(
            f"  {shown:<14}{lat['n']:>8}{lat['p50']:>10.1f}{lat['p90']:>10.1f}"
            f"{lat['p99']:>10.1f}{lat['max']:>10.1f}"
        )
    return "\n".join(lines)


def add_poll_options(parser: argparse.ArgumentParser) -> None:
    """The poll policy's options (the load generator's and `bench.run`'s)."""
    parser.add_argument(
        "--first-poll-ms",
        type=float,
        default=10.0,
        help="first authorization (order) poll at most this long after the challenge POST "
        "(finalize)",
    )
    parser.add_argument(
        "--poll-cap-ms",
        type=float,
        default=50.0,
        help="cap on the wait before a later poll (Retry-After, or doubling without one)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loadgen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--directory", required=True, help="the ACME directory URL")
    parser.add_argument("--mode", choices=MODES, default="flow")
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("-d", "--duration", type=float, default=20.0, help="seconds")
    parser.add_argument("-k", "--names", type=int, default=1, help="names per order")
    parser.add_argument("--account-per", choices=("client", "order"), default="client")
    parser.add_argument("--domain", default="bench.test", help="names are made under it")
    parser.add_argument("--responder-host", default="127.0.0.1")
    parser.add_argument(
        "--responder-port", type=int, default=5002, help="the server's http-01 port"
    )
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument("--ca-bundle", help="PEM file of the CA that signed the server's TLS cert")
    trust.add_argument("--insecure", action="store_true", help="do not verify the server's TLS")
    add_poll_options(parser)
    parser.add_argument("--order-timeout", type=float, default=60.0)
    parser.add_argument("--warmup", type=int, default=1, help="uncounted operations per client")
    who = parser.add_mutually_exclusive_group()
    who.add_argument(
        "--server-pid", type=int, action="append", default=[], help="process tree to measure"
    )
    who.add_argument("--server-port", type=int, help="measure the process listening on it")
    parser.add_argument(
        "--http",
        choices=("raw", "httpx"),
        default="raw",
        help="client transport: raw (bench.http1, the default: a tenth of httpx's CPU per "
        "request, so the generator does not cap a fast server) or httpx",
    )
    parser.add_argument("--label", default="")
    parser.add_argument("--json", help="write the record to this file ('-': stdout)")
    parser.add_argument("--quiet", action="store_true", help="no table")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    pids = list(args.server_pid)
    if args.server_port:
        pid = procstat.find_listener_pid(args.server_port)
        if pid is None:
            raise SystemExit(f"loadgen: no process of ours listens on port {args.server_port}")
        pids = [pid]
    port = urlsplit(args.directory).port
    if pids == [] and port is not None and args.server_port is None:
        found = procstat.find_listener_pid(port)
        pids = [found] if found else []
    return Options(
        directory=args.directory,
        mode=args.mode,
        concurrency=args.concurrency,
        duration=args.duration,
        names=args.names,
        account_per=args.account_per,
        domain=args.domain,
        responder_host=args.responder_host,
        responder_port=args.responder_port,
        ca_bundle=args.ca_bundle,
        insecure=args.insecure,
        first_poll=args.first_poll_ms / 1000,
        poll_cap=args.poll_cap_ms / 1000,
        order_timeout=args.order_timeout,
        warmup=args.warmup,
        server_pids=pids,
        label=args.label,
        transport=args.http,
    )


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    opts = options_from(args)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        record = runner.run(run_workload(opts))
    if not args.quiet:
        print(format_report(record), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json == "-":
        json.dump(record, sys.stdout, indent=1)
        print()
    elif args.json:
        with open(args.json, "w") as out:
            json.dump(record, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

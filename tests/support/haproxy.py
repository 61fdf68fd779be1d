"""A real HAProxy (Debian's haproxy package) on loopback, balancing acmehub instances per request.

TLS ends at HAProxy (HTTP mode) and is opened again to each instance, which keeps its own
embedded-CA certificate. That is what gives per-request alternation whatever the client does:
ACME clients keep their connection alive, and a balancer in TCP mode would send every request
of one connection to the same instance; in HTTP mode with ``option http-server-close`` and
``balance roundrobin`` each request is balanced on its own. HAProxy also sees each request, so
its log says which instance answered it (acmehub's own access log is off).

Every request is logged to stdout (the log file) as ``REQ <server> <status> <method> <uri>``;
``requests()`` reads them back in order.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import free_port, poll, port_open, stop_process

BINARY = "/usr/sbin/haproxy"
_LINE = re.compile(r"^REQ (\S+) (-?\d+) (\S+) (\S+)$")


@dataclass(frozen=True)
class Backend:
    name: str
    port: int


@dataclass(frozen=True)
class LoggedRequest:
    server: str  # a backend's name, or "<NOSRV>" when none answered
    status: int
    method: str
    uri: str


class HAProxy:
    def __init__(
        self,
        workdir: Path,
        backends: list[Backend],
        *,
        frontend_pem: str,
        backend_ca_file: Path,
        check_path: str,
        port: int | None = None,
    ) -> None:
        """``frontend_pem``: the listener's certificate chain followed by its key (PEM);
        ``backend_ca_file``: the root the instances' certificates must chain to;
        ``check_path``: what health checks GET from each instance; ``port``: where to listen
        (a free port when not given)."""
        self.port = port or free_port()
        self.workdir = workdir
        self.config_path = workdir / "haproxy.cfg"
        self.log_path = workdir / "haproxy.log"
        pem_path = workdir / "frontend.pem"
        pem_path.write_text(frontend_pem)
        pem_path.chmod(0o600)
        servers = "\n".join(
            f"    server {b.name} 127.0.0.1:{b.port} ssl verify required"
            f" ca-file {backend_ca_file} check inter 500ms fall 2 rise 2"
            for b in backends
        )
        self.config_path.write_text(
            f"""global
    log stdout format raw local0 info
    nbthread 1
    maxconn 512

defaults
    mode http
    log global
    log-format "REQ %s %ST %HM %HU"
    option http-server-close
    http-reuse never
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s
    retries 3
    option redispatch 1

frontend acme
    bind 127.0.0.1:{self.port} ssl crt {pem_path}
    default_backend acmehub

backend acmehub
    balance roundrobin
    option httpchk GET {check_path}
{servers}
"""
        )
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> HAProxy:
        check = subprocess.run(
            [BINARY, "-c", "-f", str(self.config_path)], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused {self.config_path}:\n{check.stderr}")
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [BINARY, "-db", "-f", str(self.config_path)], stdout=log, stderr=subprocess.STDOUT
            )
        poll(self._ready, 20, f"haproxy on port {self.port} (log: {self.log_path})")
        return self

    def _ready(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(f"haproxy exited early:\n{self.log_text()[-3000:]}")
        return port_open(self.port)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def requests(self, *, after: str = "") -> list[LoggedRequest]:
        """Every request HAProxy finished so far, in the order it finished them; with
        ``after``, only those logged after the first line containing that text (none if no
        line does)."""
        lines = self.log_text().splitlines()
        if after:
            marks = [i for i, line in enumerate(lines) if after in line]
            lines = lines[marks[0] + 1 :] if marks else []
        found = []
        for line in lines:
            match = _LINE.match(line.strip())
            if match:
                server, status, method, uri = match.groups()
                found.append(LoggedRequest(server, int(status), method, uri))
        return found

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc)
            self._proc = None

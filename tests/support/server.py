"""A live `acmehub serve` process on loopback, for integration and interop tests."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from acmehub.bootstrap import Container, build_container
from acmehub.config import Settings, load_settings
from tests.support.procs import free_port, poll, stop_process


class AcmehubServer:
    def __init__(self, state_dir: Path, *, dns_port: int | None, **overrides: str) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.http01_port = free_port()
        self.tlsalpn01_port = free_port()
        self.env = {
            "ACMEHUB_STATE_DIR": str(state_dir),
            "ACMEHUB_LISTEN_PORT": str(self.port),
            "ACMEHUB_HTTP01_PORT": str(self.http01_port),
            "ACMEHUB_TLSALPN01_PORT": str(self.tlsalpn01_port),
            "ACMEHUB_VALIDATION_TIMEOUT": "5",
            # Every challenge responder of the tests is on loopback, which validation refuses
            # unless allowed (issue 15); a test of the refusal overrides this.
            "ACMEHUB_VALIDATION_ALLOWED_NETWORKS": "127.0.0.0/8",
            "ACMEHUB_LOG_LEVEL": "INFO",
        }
        if dns_port is not None:
            self.env["ACMEHUB_DNS_RESOLVER_IP"] = "127.0.0.1"
            self.env["ACMEHUB_DNS_RESOLVER_PORT"] = str(dns_port)
        self.env.update(overrides)
        self.log_path = state_dir.parent / f"{state_dir.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._container: Container | None = None

    @property
    def settings(self) -> Settings:
        return load_settings(None, self.env)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def ca_bundle(self) -> Path:
        return self.settings.ca_bundle

    @property
    def local_base_url(self) -> str:
        """This process's own listener (``base_url`` may name a load balancer in front of it)."""
        scheme = "http" if self.settings.tls_mode == "off" else "https"
        return f"{scheme}://127.0.0.1:{self.port}"

    def directory_url(self, profile: str = "default", family: str = "acme") -> str:
        root = "/acme/raProfile/" if family == "raProfile" else "/acme/"
        return f"{self.base_url}{root}{profile}/directory"

    def start(self) -> AcmehubServer:
        env = {**os.environ, **self.env}
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "acmehub.cli", "serve"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        poll(self._ready, 60, f"acmehub on port {self.port} (log: {self.log_path})")
        return self

    def _ready(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(
                f"acmehub exited early; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}"
            )
        if not self.ca_bundle.exists():
            return False
        try:
            r = httpx.get(
                f"{self.local_base_url}/acme/default/directory",
                verify=self.ssl_context(),
                timeout=1,
            )
        except (httpx.HTTPError, ssl.SSLError):  # SSLError: the CA bundle is still being written
            return False
        return r.status_code == 200

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def client(self) -> httpx.Client:
        return httpx.Client(verify=self.ssl_context(), timeout=15)

    def container(self) -> Container:
        """The same database and services, in-process, to look at state or change settings."""
        if self._container is None:
            self._container = build_container(self.settings)
        return self._container

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def kill(self) -> None:
        """SIGKILL the server process (by its PID), as a crash would; state and ports stay."""
        if self._proc is not None:
            if self._proc.poll() is None:
                os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait(10)
            self._proc = None

    def restart(self) -> AcmehubServer:
        """Kill the process if it still runs, then start it again on the same ports and state."""
        self.kill()
        return self.start()

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc)
            self._proc = None
        if self._container is not None:
            self._container.engine.dispose()
            self._container = None

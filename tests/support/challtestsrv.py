"""pebble-challtestsrv (Debian's pebble package) as the tests' DNS server.

Every name resolves to 127.0.0.1 (A) and has no AAAA; TXT records for dns-01 are set through
its management API.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx

from tests.support.procs import free_port, poll, port_open, stop_process

BINARY = "pebble-challtestsrv"


class ChallTestSrv:
    def __init__(self, log_dir: Path) -> None:
        self.dns_port = free_port()
        self.management_port = free_port()
        self._log = log_dir / "challtestsrv.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ChallTestSrv:
        binary = shutil.which(BINARY) or f"/usr/bin/{BINARY}"
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                [
                    binary,
                    "-dns01",
                    f"127.0.0.1:{self.dns_port}",
                    "-management",
                    f"127.0.0.1:{self.management_port}",
                    "-http01",
                    "",
                    "-https01",
                    "",
                    "-tlsalpn01",
                    "",
                    "-defaultIPv4",
                    "127.0.0.1",
                    "-defaultIPv6",
                    "",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        poll(lambda: port_open(self.management_port), 15, "challtestsrv management port")
        return self

    def stop(self) -> None:
        if self._proc is not None:
            stop_process(self._proc)

    def _post(self, path: str, body: dict[str, object]) -> None:
        response = httpx.post(
            f"http://127.0.0.1:{self.management_port}{path}", json=body, timeout=5
        )
        response.raise_for_status()

    def set_txt(self, name: str, value: str) -> None:
        """Set the TXT record of ``name`` (a fully qualified name, trailing dot added)."""
        self._post("/set-txt", {"host": name.rstrip(".") + ".", "value": value})

    def clear_txt(self, name: str) -> None:
        self._post("/clear-txt", {"host": name.rstrip(".") + "."})

    def add_caa(self, host: str, *policies: tuple[str, str]) -> None:
        """Add CAA records (tag, value) at ``host``; challtestsrv serves them with flags 0."""
        body = [{"tag": tag, "value": value} for tag, value in policies]
        self._post("/add-caa", {"host": host.rstrip(".") + ".", "policies": body})

    def clear_caa(self, host: str) -> None:
        self._post("/clear-caa", {"host": host.rstrip(".") + "."})

    def set_cname(self, host: str, target: str) -> None:
        self._post(
            "/set-cname", {"host": host.rstrip(".") + ".", "target": target.rstrip(".") + "."}
        )

    def set_servfail(self, host: str) -> None:
        self._post("/set-servfail", {"host": host.rstrip(".") + "."})

    def set_a(self, name: str, addresses: list[str]) -> None:
        self._post("/add-a", {"host": name.rstrip(".") + ".", "addresses": addresses})

"""Two machines, one PostgreSQL: an Authority made on one works on the other.

Two `acmehub serve` processes with separate state directories share a fresh PostgreSQL
database and the key-encryption key (``ACMEHUB_CA_KEK``), and nothing else: no file is copied
from one to the other. Instance A sets the database up (the embedded Authority, its keys sealed
in the database); orders made through one instance are finalized through the other, both
ways, and all end valid. Both advertise A's URL; the client's transport sends each request to
the instance the test names, as a load balancer would.

Then an Authority sealed under another deployment's KEK: issuing from it fails, and the
client reads a serverInternal with a reference, no path and no CA text, while the server's
log has the reference with the cause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography import x509

from acmehub.bootstrap import build_container
from acmehub.ca.embedded.sealing import new_kek_text
from acmehub.services.admin import SYSTEM_ACTOR
from tests.durability.conftest import print_log_tail
from tests.integration.conftest import Flows, poll_resource, unique_label, unique_name
from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.postgres import PostgresCluster
from tests.support.server import AcmehubServer


class ToInstance(httpx.HTTPTransport):
    """Sends every request to the port in ``target`` (the URLs name instance A)."""

    def __init__(self, target: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(port=self.target)
        return super().handle_request(request)


@dataclass
class TwoMachines:
    a: AcmehubServer
    b: AcmehubServer
    flows: Flows
    transport: ToInstance
    http: httpx.Client

    def on(self, server: AcmehubServer) -> None:
        """Send the following requests to ``server``."""
        self.transport.target = server.port

    def client(self, profile: str = "default") -> AcmeClient:
        client = AcmeClient(self.http, self.a.directory_url(profile))
        assert client.register().status_code == 201
        return client


@pytest.fixture(scope="module")
def machines(
    tmp_path_factory: pytest.TempPathFactory,
    dns_server: ChallTestSrv,
    postgres: PostgresCluster,
) -> Iterator[TwoMachines]:
    root = tmp_path_factory.mktemp("two-machines")
    a = AcmehubServer(
        root / "machine-a",
        dns_port=dns_server.dns_port,
        ACMEHUB_DATABASE_URL=postgres.new_database("two_machines"),
        ACMEHUB_CA_KEK=new_kek_text(),
    )
    a.env["ACMEHUB_EXTERNAL_BASE_URL"] = a.local_base_url
    b = AcmehubServer(
        root / "machine-b",
        dns_port=dns_server.dns_port,
        **{k: v for k, v in a.env.items() if k in ("ACMEHUB_DATABASE_URL", "ACMEHUB_CA_KEK")},
        ACMEHUB_EXTERNAL_BASE_URL=a.local_base_url,
        ACMEHUB_HTTP01_PORT=str(a.http01_port),  # one responder answers both validators
    )
    responder = Http01Responder(a.http01_port)
    http: httpx.Client | None = None
    try:
        responder.start()
        a.start()
        b.start()
        transport = ToInstance(a.port, verify=a.ssl_context())
        http = httpx.Client(transport=transport, timeout=15)
        yield TwoMachines(a, b, Flows(dns_server, responder), transport, http)
    except BaseException:
        for path in (a.log_path, b.log_path):
            print_log_tail(path)
        raise
    finally:
        if http is not None:
            http.close()
        b.stop()
        a.stop()
        responder.stop()


def finalize_on(
    machines: TwoMachines, order_from: AcmehubServer, finalize_at: AcmehubServer
) -> dict[str, Any]:
    machines.on(order_from)
    client = machines.client()
    order_url, order = machines.flows.ready_order(client, [unique_name()])
    machines.on(finalize_at)
    csr, _ = make_csr([i["value"] for i in order["identifiers"]])
    response = client.post(order["finalize"], {"csr": b64url(csr)})
    assert response.status_code == 200, response.text
    done = poll_resource(client, order_url, lambda d: d["status"] != "processing", "order done")
    assert done["status"] == "valid", done
    machines.on(order_from)
    pem = client.get(done["certificate"])
    assert pem.status_code == 200, pem.text
    leaf = x509.load_pem_x509_certificates(pem.content)[0]
    assert leaf.issuer.rfc4514_string().startswith("CN=acmehub embedded CA Intermediate CA")
    return done


def test_the_state_directories_share_nothing(machines: TwoMachines) -> None:
    assert machines.a.state_dir != machines.b.state_dir
    # B never saw A's files: its CA bundle came from the database.
    assert not (machines.b.state_dir / "ca" / "kek").exists()
    assert machines.b.ca_bundle.read_bytes() == machines.a.ca_bundle.read_bytes()


def test_orders_from_one_machine_are_finalized_by_the_other(machines: TwoMachines) -> None:
    for _ in range(2):
        finalize_on(machines, machines.a, machines.b)
        finalize_on(machines, machines.b, machines.a)


def test_a_key_that_does_not_open_answers_a_reference_and_logs_the_cause(
    machines: TwoMachines, dns_server: ChallTestSrv
) -> None:
    # Another deployment's KEK seals this Authority's keys: no machine here opens them.
    foreign = {"ACMEHUB_CA_KEK": new_kek_text()}
    container = build_container(machines.a.settings, environ=foreign)
    name = unique_label("foreign")
    try:
        authority = container.services.authorities.create_embedded(SYSTEM_ACTOR, name).authority
        platform = container.services.platform
        ra = platform.create_ra_profile(authority.uuid, name)
        acme = platform.create_acme_profile(
            name,
            enabled=True,
            default_ra_profile_uuid=ra.uuid,
            retry_interval=1,
            dns_resolver_ip="127.0.0.1",
            dns_resolver_port=dns_server.dns_port,
        )
        platform.activate_acme(ra.uuid, acme.uuid)
    finally:
        container.engine.dispose()

    machines.on(machines.b)
    client = machines.client(name)
    order_url, order = machines.flows.ready_order(client, [unique_name()])
    csr, _ = make_csr([i["value"] for i in order["identifiers"]])
    client.post(order["finalize"], {"csr": b64url(csr)})
    done = poll_resource(client, order_url, lambda d: d["status"] != "processing", "order done")
    assert done["status"] == "invalid", done
    problem = done["error"]
    assert problem["type"] == "urn:ietf:params:acme:error:serverInternal"
    found = re.fullmatch(r"internal error, reference ([0-9a-f]{8})", problem["detail"])
    assert found is not None, problem
    assert "/" not in problem["detail"]
    log = machines.b.log_path.read_text()
    line = next(x for x in log.splitlines() if f"reference {found.group(1)}" in x)
    assert f"authority {authority.uuid} is sealed under key-encryption key" in line

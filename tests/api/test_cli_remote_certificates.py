"""The certificate, order and audit-log commands of the CLI driving the session's live acmehub
with ``--server`` (from a directory with no acmehub state): list, show and revoke certificates,
list and show orders, read the audit log, list tokens; tokens are made only on the server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.integration.conftest import Clients, Flows, Profiles, last_segment, unique_name
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.remote_cli import Remote, token_for
from tests.support.server import AcmehubServer


@dataclass(frozen=True)
class Issued:
    profile_uuid: str
    profile_name: str
    order_id: str
    certificate_id: str
    name: str


@pytest.fixture(scope="module")
def issued(acmehub: AcmehubServer, dns_server: ChallTestSrv) -> Iterator[Issued]:
    """One certificate issued over ACME under a fresh profile."""
    http01 = Http01Responder(acmehub.http01_port).start()
    clients = Clients(acmehub)
    try:
        profile = Profiles(acmehub).acme_profile()
        name = unique_name()
        order_url, order = Flows(dns_server, http01).issue(clients("acme", profile.name), [name])
        yield Issued(
            profile.uuid,
            profile.name,
            last_segment(order_url),
            last_segment(order["certificate"]),
            name,
        )
    finally:
        clients.close()
        http01.stop()


def test_certificates_are_listed_shown_and_revoked_remotely(
    remote: Remote, acmehub: AcmehubServer, issued: Issued
) -> None:
    page = remote.json("certificate", "list", "--acme-profile", issued.profile_name)
    assert [c["id"] for c in page["items"]] == [issued.certificate_id]
    assert (page["total"], page["hasMore"], page["limit"]) == (1, False, 100)
    assert page["items"][0]["acmeProfileName"] == issued.profile_name
    # The table has the web interface's columns.
    table = remote.ok("certificate", "list", "--acme-profile", issued.profile_uuid)
    assert table.splitlines()[0].split()[:3] == ["ID", "SERIAL", "NAMES"]
    assert issued.name in table
    assert issued.name in remote.ok("certificate", "list", "--name", issued.name)

    shown = remote.json("certificate", "show", issued.certificate_id)
    assert (shown["names"], shown["status"]) == ([issued.name], "valid")
    by_serial = remote.json("certificate", "show", shown["serialNumber"])
    assert by_serial["id"] == issued.certificate_id
    pem = remote.ok("certificate", "show", issued.certificate_id, "--pem")
    assert "BEGIN CERTIFICATE" in pem

    out = remote.ok("certificate", "revoke", issued.certificate_id, "--reason", "superseded")
    assert f"revoked certificate {issued.certificate_id}" in out
    stored = acmehub.container().services.certificate_admin.get(CLI_ACTOR, issued.certificate_id)
    assert stored.certificate.revocation_reason == 4
    again = remote("certificate", "revoke", issued.certificate_id)
    assert again.returncode == 1
    assert "already" in again.stderr
    revoked = remote.json("certificate", "list", "--status", "revoked", "--name", issued.name)
    assert [c["id"] for c in revoked["items"]] == [issued.certificate_id]
    bad = remote("certificate", "list", "--expiring-within", "0")
    assert bad.returncode == 1
    assert "expiringWithin" in bad.stderr


def test_orders_are_listed_and_shown_remotely(remote: Remote, issued: Issued) -> None:
    page = remote.json("order", "list", "--acme-profile", issued.profile_name)
    assert [o["id"] for o in page["items"]] == [issued.order_id]
    assert page["items"][0]["status"] == "valid"
    table = remote.ok("order", "list", "--name", issued.name)
    assert table.splitlines()[0].split()[:3] == ["ORDER", "IDENTIFIERS", "STATUS"]
    assert issued.order_id in table
    shown = remote.json("order", "show", issued.order_id)
    assert shown["certificate"]["id"] == issued.certificate_id
    missing = remote("order", "show", "no-such-order")
    assert (missing.returncode, missing.stderr) == (1, "acmehub: Order not found\n")


def test_the_audit_log_and_tokens_are_read_remotely(
    remote: Remote, acmehub: AcmehubServer, issued: Issued
) -> None:
    page = remote.json("audit", "list", "--object-id", issued.certificate_id)
    assert "certificate.issue" in [e["action"] for e in page["items"]]
    limited = remote.json("audit", "list", "--limit", "1", "--since", "2020-01-01")
    assert (len(limited["items"]), limited["hasMore"]) == (1, True)
    table = remote.ok("audit", "list", "--action", "certificate.issue", "--limit", "5")
    assert table.splitlines()[0].split() == [
        "ID", "AT", "ACTOR", "ACTION", "OBJECT", "OUTCOME", "DETAIL",
    ]  # fmt: skip
    refused = remote("audit", "list", "--since", "2030-01-02", "--until", "2030-01-01")
    assert (refused.returncode, refused.stderr) == (
        1,
        "acmehub: since must not be after until\n",
    )

    tokens = remote.json("token", "list")
    assert any(t["name"].startswith("laptop-admin-") for t in tokens)
    assert "NAME" in remote.ok("token", "list").splitlines()[0]
    # Tokens and users are made only on the server's machine, never over HTTP.
    for argv in (("token", "create", "x", "--role", "admin"), ("user", "list")):
        local_only = remote(*argv)
        assert local_only.returncode == 1
        assert "runs only on the server's machine" in local_only.stderr


def test_an_auditor_reads_but_does_not_revoke(
    remote: Remote, acmehub: AcmehubServer, issued: Issued
) -> None:
    auditor = token_for(acmehub, Role.AUDITOR)
    assert remote("certificate", "list", token=auditor).returncode == 0
    refused = remote("certificate", "revoke", issued.certificate_id, token=auditor)
    assert refused.returncode == 1
    assert "operator role" in refused.stderr

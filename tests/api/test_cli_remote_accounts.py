"""`acmehub account ...` and `acmehub eab ...` driving the session's live acmehub over its REST
API (``--server``), from a directory with no acmehub state (an operator's laptop): the same
commands, options and output as on the server's machine."""

from __future__ import annotations

import base64
import re
import secrets

from acmehub.domain.admin_model import Role
from acmehub.domain.model import AccountStatus
from acmehub.services.admin import CLI_ACTOR
from tests.support.remote_cli import Remote, token_for
from tests.support.server import AcmehubServer
from tests.webui.seed import profile_with_accounts


def rows(table: str) -> list[list[str]]:
    """A printed table as rows of cells (split on runs of two or more spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.strip().splitlines()]


# --------------------------------------------------------------------------- EAB keys


def test_eab_keys_are_created_listed_shown_and_revoked_remotely(
    remote: Remote, acmehub: AcmehubServer
) -> None:
    services = acmehub.container().services
    name = f"remote-eab-{secrets.token_hex(4)}"
    profile = services.platform.create_acme_profile(name, require_external_account_binding=True)

    created = remote.json(
        "eab", "create", name, "--algorithm", "HS384", "--reusable",
        "--valid-for", "3600", "--description", "laptop",
    )  # fmt: skip
    key_id = created["keyId"]
    assert (created["algorithm"], created["reusable"], created["state"]) == (
        "HS384",
        True,
        "active",
    )
    assert created["description"] == "laptop"
    assert created["expiresAt"] is not None
    # The server's configured base URL, not anything of the laptop's.
    assert created["directoryUrl"] == f"{acmehub.base_url}/acme/{name}/directory"
    assert created["clients"]["certbot"].endswith("--eab-hmac-alg HS384")
    assert created["clients"]["lego"] is None
    stored = services.eab.get(CLI_ACTOR, profile.uuid, key_id)
    secret = created["hmacKey"]
    assert stored.hmac_key == base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))

    table = remote.ok("eab", "list", name)
    assert rows(table)[0][:3] == ["KEY ID", "ALG", "STATE"]
    assert rows(table)[1][:3] == [key_id, "HS384", "active"]
    assert secret not in table
    second = remote.json("eab", "create", profile.uuid)["keyId"]
    page = remote.json("eab", "list", name, "--limit", "1")
    assert [k["keyId"] for k in page["items"]] == [key_id]
    assert (page["total"], page["hasMore"]) == (2, True)
    page = remote.json("eab", "list", name, "--offset", "1")
    assert ([k["keyId"] for k in page["items"]], page["hasMore"]) == ([second], False)
    assert secret not in remote.ok("eab", "list", name, "--json")

    shown = remote.json("eab", "show", name, key_id)
    assert "hmacKey" not in shown
    assert (shown["keyId"], shown["state"], shown["usedCount"]) == (key_id, "active", 0)
    assert remote.ok("eab", "revoke", name, key_id).strip() == f"revoked EAB key {key_id}"
    assert remote.json("eab", "show", name, key_id)["state"] == "revoked"
    assert services.eab.get(CLI_ACTOR, profile.uuid, key_id).revoked_at is not None
    assert remote.json("eab", "revoke", name, key_id)["state"] == "revoked"  # harmless again


def test_a_new_keys_secret_is_printed_once_for_people(
    remote: Remote, acmehub: AcmehubServer
) -> None:
    name = f"remote-eab-{secrets.token_hex(4)}"
    acmehub.container().services.platform.create_acme_profile(name)
    result = remote("eab", "create", name)
    assert result.returncode == 0, result.stderr
    assert "shown this once" in result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["directory"] == f"{acmehub.base_url}/acme/{name}/directory"
    directory, key_id, secret = lines["directory"], lines["keyId"], lines["hmacKey"]
    assert lines["certbot"] == f"--server {directory} --eab-kid {key_id} --eab-hmac-key {secret}"
    assert lines["lego"].startswith(f"--server {lines['directory']} --eab --kid")


def test_eab_refusals_come_back_from_the_server(remote: Remote, acmehub: AcmehubServer) -> None:
    name = f"remote-eab-{secrets.token_hex(4)}"
    acmehub.container().services.platform.create_acme_profile(name)
    zero = remote("eab", "create", name, "--valid-for", "0")
    assert zero.returncode == 1
    assert "validitySeconds must be an integer between 1" in zero.stderr
    both = remote(
        "eab", "create", name, "--valid-for", "60", "--expires-at", "2999-01-01T00:00:00Z"
    )
    assert both.returncode == 1
    assert "not both" in both.stderr
    assert "EAB key not found" in remote("eab", "show", name, "nope").stderr
    auditor = token_for(acmehub, Role.AUDITOR)
    refused = remote("eab", "create", name, token=auditor)
    assert refused.returncode == 1
    assert "admin role" in refused.stderr
    assert remote.json("eab", "list", name)["items"] == []


# --------------------------------------------------------------------------- accounts


def test_accounts_are_listed_shown_and_switched_remotely(
    remote: Remote, acmehub: AcmehubServer
) -> None:
    seeded = profile_with_accounts(acmehub, 3)
    a, b, c = seeded.accounts
    name = seeded.profile.name

    page = remote.json("account", "list", "--acme-profile", name)
    assert [i["uuid"] for i in page["items"]] == [a.uuid, b.uuid, c.uuid]
    assert (page["total"], page["hasMore"]) == (3, False)
    ra = seeded.profile.default_ra_profile_uuid or ""
    page = remote.json("account", "list", "--ra-profile", ra, "--limit", "2")
    assert [i["uuid"] for i in page["items"]] == [a.uuid, b.uuid]
    assert (page["total"], page["hasMore"]) == (3, True)
    table = remote("account", "list", "--acme-profile", seeded.profile.uuid, "--limit", "2")
    assert rows(table.stdout)[0][:3] == ["UUID", "ACCOUNT ID", "ACME PROFILE"]
    assert rows(table.stdout)[1][:3] == [a.uuid, a.id, name]
    assert "next page: --offset 2" in table.stderr

    shown = remote.json("account", "show", name, b.uuid)
    assert (shown["uuid"], shown["accountId"], shown["status"]) == (b.uuid, b.id, "valid")
    assert shown["contact"] == ["mailto:owner1@example.com"]
    assert shown["acmeProfile"] == {"uuid": seeded.profile.uuid, "name": name}
    assert "accountId" in remote.ok("account", "show", seeded.profile.uuid, b.uuid)

    out = remote.ok("account", "disable", a.uuid, b.uuid)
    assert out.splitlines() == [f"disabled account {a.uuid}", f"disabled account {b.uuid}"]
    disabled = remote.json("account", "list", "--acme-profile", name, "--enabled", "no")
    assert [i["uuid"] for i in disabled["items"]] == [a.uuid, b.uuid]
    again = remote("account", "disable", a.uuid, "no-such-account")
    assert again.returncode == 1
    assert again.stdout == ""
    assert "already disabled" in again.stderr
    assert "ACME Account not found" in again.stderr
    assert remote.json("account", "enable", a.uuid, b.uuid) == []
    assert remote.ok("account", "revoke", c.uuid).strip() == f"revoked account {c.uuid}"
    services = acmehub.container().services
    after = [services.account_admin.get(CLI_ACTOR, seeded.profile.uuid, x.uuid) for x in (a, b, c)]
    assert [(v.account.status, v.account.enabled) for v in after] == [
        (AccountStatus.VALID, True),
        (AccountStatus.VALID, True),
        (AccountStatus.REVOKED, True),
    ]
    revoked = remote.json("account", "list", "--acme-profile", name, "--status", "revoked")
    assert [i["uuid"] for i in revoked["items"]] == [c.uuid]


def test_account_refusals_and_roles_remotely(remote: Remote, acmehub: AcmehubServer) -> None:
    seeded = profile_with_accounts(acmehub, 1)
    account = seeded.accounts[0]
    auditor = token_for(acmehub, Role.AUDITOR)
    listed = remote(
        "account", "list", "--acme-profile", seeded.profile.name, "--json", token=auditor
    )
    assert listed.returncode == 0, listed.stderr
    refused = remote("account", "disable", account.uuid, token=auditor)
    assert refused.returncode == 1
    assert "operator role" in refused.stderr
    by_name = remote("account", "list", "--ra-profile", "default")
    assert by_name.returncode == 1
    assert "--ra-profile as a UUID" in by_name.stderr
    missing = remote("account", "show", seeded.profile.name, "no-such-account")
    assert missing.returncode == 1
    assert "ACME Account not found" in missing.stderr
    bad = remote("account", "list", "--limit", "0")
    assert bad.returncode == 1
    assert "limit" in bad.stderr

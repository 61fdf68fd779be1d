"""certbot (the PyPI release in the venv) against a live acmehub, under both URL families."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from acmehub.domain.model import AccountStatus
from tests.support.challtestsrv import ChallTestSrv
from tests.support.interop import (
    HOOKS,
    ClientRun,
    Transcript,
    assert_issued,
    assert_revoked,
    client_env,
    domain_for,
    load_chain,
)
from tests.support.server import AcmehubServer

pytestmark = pytest.mark.interop

CERTBOT = Path(sys.executable).with_name("certbot")
DNS_HOOK = HOOKS / "challtestsrv_txt.py"
ALREADY_REVOKED = "urn:ietf:params:acme:error:alreadyRevoked"
BAD_REVOCATION_REASON = "urn:ietf:params:acme:error:badRevocationReason"
UNAUTHORIZED = "urn:ietf:params:acme:error:unauthorized"
#: certbot prints only a problem's detail; its debug log keeps the type of the error it raised.
_RAISED_PROBLEM = re.compile(r"^acme\.messages\.Error: (urn:ietf:params:acme:error:\w+)", re.M)


@dataclass
class Certbot:
    """One certbot installation (config, work and logs dirs) talking to one directory URL."""

    transcript: Transcript
    home: Path
    server: str
    acmehub: AcmehubServer
    email: str

    @property
    def config_dir(self) -> Path:
        return self.home / "config"

    def live(self, cert_name: str) -> Path:
        return self.config_dir / "live" / cert_name

    def run(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> ClientRun:
        command = [
            str(CERTBOT),
            *args,
            "--non-interactive",
            "--server", self.server,
            "--config-dir", str(self.config_dir),
            "--work-dir", str(self.home / "work"),
            "--logs-dir", str(self.home / "logs"),
        ]  # fmt: skip
        full_env = client_env(REQUESTS_CA_BUNDLE=str(self.acmehub.ca_bundle), **(env or {}))
        return self.transcript.run(command, full_env, cwd=self.home, check=check)

    def registration(self) -> list[str]:
        return ["--agree-tos", "--email", self.email, "--no-eff-email"]

    def certonly_http01(
        self,
        cert_name: str,
        names: Iterable[str],
        *,
        check: bool = True,
        extra: Iterable[str] = (),
    ) -> ClientRun:
        return self.run(
            "certonly",
            *self.registration(),
            "--cert-name", cert_name,
            *domains(sorted(names)),
            "--standalone",
            "--preferred-challenges", "http",
            "--http-01-address", "127.0.0.1",
            "--http-01-port", str(self.acmehub.http01_port),
            *extra,
            check=check,
        )  # fmt: skip

    @property
    def log(self) -> Path:
        """certbot's debug log of its latest run (it rotates earlier runs' logs away)."""
        return self.home / "logs" / "letsencrypt.log"

    def raised_problems(self) -> list[str]:
        """Types of the ACME problem documents the latest run failed on."""
        return _RAISED_PROBLEM.findall(self.log.read_text())

    def account_ids(self) -> list[str]:
        """Protocol ids of the accounts certbot keeps on disk (from each regr.json's URI)."""
        uris = [
            json.loads(path.read_text())["uri"]
            for path in (self.config_dir / "accounts").rglob("regr.json")
        ]
        return [uri.rstrip("/").rsplit("/", 1)[1] for uri in uris]


def domains(names: Iterable[str]) -> list[str]:
    return [arg for name in names for arg in ("-d", name)]


@pytest.fixture
def certbot(
    tmp_path: Path, transcript: Transcript, acmehub: AcmehubServer, directory_url: str
) -> Certbot:
    bot = Certbot(transcript, tmp_path, directory_url, acmehub, "interop@acmehub.example.com")
    transcript.logs.append(bot.log)
    return bot


def test_http01_two_names(
    certbot: Certbot, acmehub: AcmehubServer, request: pytest.FixtureRequest, family: str
) -> None:
    base = domain_for(request, family, "certbot.test")
    names = {base, f"www.{base}"}

    certbot.certonly_http01("two", names)

    live = certbot.live("two")
    leaf = assert_issued(live / "fullchain.pem", names, acmehub)
    assert load_chain(live / "cert.pem") == [leaf]
    assert load_chain(live / "chain.pem") == load_chain(live / "fullchain.pem")[1:]
    key = serialization.load_pem_private_key((live / "privkey.pem").read_bytes(), None)
    assert key.public_key() == leaf.public_key()
    assert len(certbot.account_ids()) == 1


def test_dns01_wildcard(
    certbot: Certbot,
    acmehub: AcmehubServer,
    dns_server: ChallTestSrv,
    request: pytest.FixtureRequest,
    family: str,
) -> None:
    # One _acme-challenge name carries both TXT values: challtestsrv's set-txt adds a value.
    base = domain_for(request, family, "wild.test")
    names = {f"*.{base}", base}
    hook = f"{sys.executable} {DNS_HOOK}"

    certbot.run(
        "certonly",
        *certbot.registration(),
        "--cert-name", "wild",
        *domains(sorted(names)),
        "--manual",
        "--preferred-challenges", "dns",
        "--manual-auth-hook", f"{hook} set",
        "--manual-cleanup-hook", f"{hook} clear",
        env={"CHALLTESTSRV_MANAGEMENT_URL": f"http://127.0.0.1:{dns_server.management_port}"},
    )  # fmt: skip

    assert_issued(certbot.live("wild") / "fullchain.pem", names, acmehub)


def test_renew_forced_gives_new_serial(
    certbot: Certbot, acmehub: AcmehubServer, request: pytest.FixtureRequest, family: str
) -> None:
    names = {domain_for(request, family, "certbot.test")}
    certbot.certonly_http01("renewed", names)
    fullchain = certbot.live("renewed") / "fullchain.pem"
    first = assert_issued(fullchain, names, acmehub)

    # The renewal configuration certbot saved (standalone, port, server) is reused as is.
    certbot.run("renew", "--cert-name", "renewed", "--force-renewal", "--no-random-sleep-on-renew")

    second = assert_issued(fullchain, names, acmehub)
    assert second.serial_number != first.serial_number
    archived = sorted((certbot.config_dir / "archive" / "renewed").glob("cert*.pem"))
    assert [p.name for p in archived] == ["cert1.pem", "cert2.pem"]


def test_revoke_key_compromise(
    certbot: Certbot, acmehub: AcmehubServer, request: pytest.FixtureRequest, family: str
) -> None:
    names = {domain_for(request, family, "certbot.test")}
    certbot.certonly_http01("revoked", names)
    live = certbot.live("revoked")
    cert_path = live / "cert.pem"
    revoke = (
        "revoke",
        "--cert-path", str(cert_path),
        "--reason", "keycompromise",
        "--no-delete-after-revoke",
    )  # fmt: skip
    # Signed with the account key: keyCompromise needs proof of the key (issue 15 §6).
    unproven = certbot.run(*revoke, check=False)
    assert unproven.returncode != 0
    assert certbot.raised_problems() == [BAD_REVOCATION_REASON]
    # --key-path signs the request with the certificate's key: revoked, the key blocked.
    revoke = (*revoke, "--key-path", str(live / "privkey.pem"))

    certbot.run(*revoke)

    assert_revoked(live / "fullchain.pem", acmehub, x509.ReasonFlags.key_compromise)
    again = certbot.run(*revoke, check=False)
    assert again.returncode != 0
    assert certbot.raised_problems() == [ALREADY_REVOKED]


def test_unregister_deactivates_account(
    certbot: Certbot, acmehub: AcmehubServer, request: pytest.FixtureRequest, family: str
) -> None:
    certbot.run("register", *certbot.registration())
    [account_id] = certbot.account_ids()
    accounts = certbot.config_dir / "accounts"
    saved = certbot.home / "accounts-before-unregister"
    shutil.copytree(accounts, saved)

    certbot.run("unregister")

    with acmehub.container().services.deps.uow() as tx:
        account = tx.accounts.get(account_id)
    assert account is not None
    assert account.status is AccountStatus.DEACTIVATED
    # certbot deletes its local copy of a deactivated account; put it back so the next run
    # signs with the deactivated account instead of quietly registering a new one.
    assert certbot.account_ids() == []
    shutil.rmtree(accounts)
    shutil.copytree(saved, accounts)

    refused = certbot.certonly_http01(
        "after-unregister", {domain_for(request, family, "certbot.test")}, check=False
    )

    assert refused.returncode != 0
    assert certbot.raised_problems() == [UNAUTHORIZED]
    assert not certbot.live("after-unregister").exists()

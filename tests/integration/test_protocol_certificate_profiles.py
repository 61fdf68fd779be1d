"""Certificate profiles over HTTP (draft-ietf-acme-profiles), in both URL families: the
directory's meta.profiles, new-order's ``profile`` (unknown: invalidProfile; absent: the RA
profile's default), the order showing it, and the certificate following it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from acmehub.domain.admin_model import Role
from acmehub.domain.certificate_profiles import CertificateProfile
from acmehub.domain.model import AcmeProfile, RaProfile
from acmehub.services.admin import SYSTEM_ACTOR
from acmehub.services.commands.base import parse
from acmehub.services.commands.certificate_profiles import CertificateProfileRequest
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    poll_resource,
    unique_name,
)
from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.server import AcmehubServer

DAY = 86400


def _offer(acmehub: AcmehubServer, ra: RaProfile, **fields: Any) -> CertificateProfile:
    service = acmehub.container().services.certificate_profiles
    command = parse(CertificateProfileRequest, fields)
    profile: CertificateProfile = service.create(SYSTEM_ACTOR, ra.uuid, command)
    return profile


def _own_profiles(profiles: Profiles, clients: Clients, family: str) -> tuple[RaProfile, Any]:
    """An RA profile of its own (no certificate profiles yet) and a client of it."""
    acme: AcmeProfile = profiles.acme_profile()
    ra = profiles.ra_profile(acme)
    profiles.update_acme(acme, default_ra_profile_uuid=ra.uuid)
    return ra, clients(family, acme.name if family == "acme" else ra.name)


def _issue(
    client: AcmeClient, flows: Flows, names: list[str], **extra: Any
) -> tuple[dict[str, Any], x509.Certificate]:
    response = client.new_order(names, **extra)
    assert response.status_code == 201, response.text
    order_url = response.headers["Location"]
    for authz_url in response.json()["authorizations"]:
        flows.authorize_http01(client, authz_url)
    poll_resource(client, order_url, lambda d: d["status"] == "ready", "order ready")
    order = flows.finalize(client, order_url, client.get(order_url).json())
    pem = client.get(order["certificate"]).text.encode()
    return order, x509.load_pem_x509_certificate(pem)


def _lifetime(cert: x509.Certificate) -> timedelta:
    return cert.not_valid_after_utc - cert.not_valid_before_utc


def _has_crl_dp(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except x509.ExtensionNotFound:
        return False
    return True


def test_the_default_directory_offers_tlsserver_and_shortlived(client: AcmeClient) -> None:
    profiles = client.directory["meta"]["profiles"]
    assert list(profiles) == ["tlsserver", "shortlived"]  # the default first
    assert "90 days" in profiles["tlsserver"]
    assert "7 days" in profiles["shortlived"]


def test_an_order_without_profile_gets_the_default(client: AcmeClient, flows: Flows) -> None:
    order, cert = _issue(client, flows, [unique_name()])
    assert order["profile"] == "tlsserver"
    # 90 days from notBefore (which is backdated; the leaf never outlives its issuer).
    assert _lifetime(cert) == timedelta(days=90)
    assert _has_crl_dp(cert)


def test_shortlived_is_seven_days_without_crl_distribution_point(
    client: AcmeClient, flows: Flows
) -> None:
    order, cert = _issue(client, flows, [unique_name()], profile="shortlived")
    assert order["profile"] == "shortlived"
    assert _lifetime(cert) == timedelta(days=7)
    assert not _has_crl_dp(cert)


def test_an_unknown_profile_is_invalid_profile(client: AcmeClient, state: State) -> None:
    before = state.counts()
    response = client.new_order([unique_name()], profile="classic")
    assert_problem(response, 400, "invalidProfile", "'classic' is not offered")
    assert "shortlived, tlsserver" in response.json()["detail"]
    assert state.counts() == before


def test_no_profiles_no_meta_and_any_profile_refused(
    profiles: Profiles, clients: Clients, family: str
) -> None:
    _, client = _own_profiles(profiles, clients, family)
    assert "profiles" not in client.directory["meta"]
    response = client.new_order([unique_name()])
    assert response.status_code == 201, response.text
    assert "profile" not in response.json()  # issued as before profiles existed
    refused = client.new_order([unique_name()], profile="tlsserver")
    assert_problem(refused, 400, "invalidProfile", "offers no certificate profiles")


def test_a_profile_added_shows_at_once_and_is_followed(
    acmehub: AcmehubServer, profiles: Profiles, clients: Clients, family: str, flows: Flows
) -> None:
    ra, client = _own_profiles(profiles, clients, family)
    _offer(acmehub, ra, name="plain", description="Plain 30-day certificates", validity=30 * DAY)
    _offer(
        acmehub,
        ra,
        name="mtls",
        description="Client certificates, no CN, one name",
        extendedKeyUsages=["clientAuth"],
        commonName=False,
        maxNames=1,
    )
    directory = client.http.get(client.directory_url).json()
    assert directory["meta"]["profiles"] == {
        "plain": "Plain 30-day certificates",  # the first one made is the default
        "mtls": "Client certificates, no CN, one name",
    }
    too_many = client.new_order([unique_name(), unique_name()], profile="mtls")
    assert_problem(too_many, 400, "rejectedIdentifier", "certificate profile mtls allows at most 1")

    name = unique_name()
    order, cert = _issue(client, flows, [name], profile="mtls")
    assert order["profile"] == "mtls"
    assert cert.subject == x509.Name([])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical
    assert san.value.get_values_for_type(x509.DNSName) == [name]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    # The RA profile's validityDefault (90 days) where the profile sets none.
    assert _lifetime(cert) == timedelta(days=90)

    order, cert = _issue(client, flows, [unique_name()])
    assert order["profile"] == "plain"
    assert _lifetime(cert) == timedelta(days=30)
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)


def test_a_profile_removed_before_finalize_is_refused_there(
    acmehub: AcmehubServer, profiles: Profiles, clients: Clients, flows: Flows
) -> None:
    ra, client = _own_profiles(profiles, clients, "raProfile")
    _offer(acmehub, ra, name="keep")
    going = _offer(acmehub, ra, name="going")
    response = client.new_order([unique_name()], profile="going")
    assert response.status_code == 201, response.text
    order_url = response.headers["Location"]
    flows.authorize_http01(client, response.json()["authorizations"][0])
    order = poll_resource(client, order_url, lambda d: d["status"] == "ready", "order ready")
    service = acmehub.container().services.certificate_profiles
    service.delete(SYSTEM_ACTOR, ra.uuid, going.uuid)
    csr, _ = make_csr([i["value"] for i in order["identifiers"]])
    refused = client.post(order["finalize"], {"csr": b64url(csr)})
    assert_problem(refused, 400, "invalidProfile", "certificate profile going is no longer offered")


def test_the_order_browser_shows_the_profile(acmehub: AcmehubServer, client: AcmeClient) -> None:
    response = client.new_order([unique_name()], profile="shortlived")
    assert response.status_code == 201, response.text
    order_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    _, secret = acmehub.container().services.tokens.create(
        SYSTEM_ACTOR, unique_name("auditor"), Role.AUDITOR
    )
    with acmehub.client() as http:
        shown = http.get(
            f"{acmehub.base_url}/api/v1/orders/{order_id}",
            headers={"Authorization": f"Bearer {secret}"},
        )
    assert shown.status_code == 200, shown.text
    assert shown.json()["certificateProfile"] == "shortlived"

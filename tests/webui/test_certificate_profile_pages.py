"""Certificate profiles in the web interface over real HTTP: listed on their RA profile's page,
created and edited with the form made from the command (a refusal beside its field), deleted
after a confirmation; auditors only look."""

from __future__ import annotations

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer
from tests.webui.conftest import ClientFactory, WebClient
from tests.webui.test_authority_pages import field_error, unique


def _new_ra(acmehub: AcmehubServer) -> str:
    services = acmehub.container().services
    with services.deps.uow() as tx:
        default = tx.profiles.ra_profile_by_name("default")
    assert default is not None
    ra = services.platform.create_ra_profile(default.authority_uuid, unique("ra"))
    return str(ra.uuid)


def test_an_admin_creates_edits_and_deletes_a_certificate_profile(
    admin: WebClient, acmehub: AcmehubServer
) -> None:
    ra = _new_ra(acmehub)
    assert "None: the directory lists no" in admin.get(f"/ui/ra-profiles/{ra}").text
    base = f"/ui/ra-profiles/{ra}/certificate-profiles"
    admin.get(f"{base}/new")
    created = admin.form(
        f"{base}/new",
        {
            "name": "shortlived",
            "description": "Seven days",
            "validity": "604800",
            "ekus": ["serverAuth", "clientAuth"],
            "commonName": "on",
        },
    )
    assert created.status_code == 303, created.text
    page = admin.get(f"/ui/ra-profiles/{ra}").text
    assert "Certificate profile shortlived created." in page
    assert "Seven days" in page
    service = acmehub.container().services.certificate_profiles
    (stored,) = service.list_all(CLI_ACTOR, ra)
    assert stored.is_default  # the first one
    assert stored.validity == 604800
    assert not stored.crl_distribution_point  # the box was left unticked
    assert stored.extended_key_usages == ["serverAuth", "clientAuth"]

    edit = admin.get(f"{base}/{stored.uuid}/edit").text
    assert "readonly" in edit
    unmarked = admin.form(f"{base}/{stored.uuid}/edit", {"name": "x"})
    assert unmarked.status_code == 422
    assert "make another profile the default" in field_error(unmarked.text, "isDefault")
    too_long = admin.form(
        f"{base}/{stored.uuid}/edit", {"name": "x", "isDefault": "on", "validity": "99999999"}
    )
    assert too_long.status_code == 422
    assert "validityMax" in field_error(too_long.text, "validity")
    saved = admin.form(
        f"{base}/{stored.uuid}/edit",
        {
            "name": "renamed",
            "isDefault": "on",
            "description": "A week",
            "validity": "",
            "crlDistributionPoint": "on",
        },
    )
    assert saved.status_code == 303, saved.text
    (stored,) = service.list_all(CLI_ACTOR, ra)
    assert (stored.name, stored.description, stored.validity) == ("shortlived", "A week", None)
    assert stored.crl_distribution_point

    assert (
        "Delete certificate profile shortlived?" in admin.get(f"{base}/{stored.uuid}/delete").text
    )
    gone = admin.form(f"{base}/{stored.uuid}/delete", {})
    assert gone.status_code == 303
    assert "Certificate profile shortlived deleted." in admin.get(f"/ui/ra-profiles/{ra}").text
    assert service.list_all(CLI_ACTOR, ra) == []


def test_an_auditor_sees_the_profiles_but_cannot_create_one(
    web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    auditor = web_as(Role.AUDITOR)
    page = auditor.get("/ui/ra-profiles")
    assert page.status_code == 200
    with acmehub.container().services.deps.uow() as tx:
        default = tx.profiles.ra_profile_by_name("default")
    assert default is not None
    detail = auditor.get(f"/ui/ra-profiles/{default.uuid}").text
    assert "tlsserver" in detail
    assert "shortlived" in detail
    auditor.get(f"/ui/ra-profiles/{default.uuid}/certificate-profiles/new")
    refused = auditor.form(
        f"/ui/ra-profiles/{default.uuid}/certificate-profiles/new", {"name": "mine"}
    )
    assert refused.status_code == 403

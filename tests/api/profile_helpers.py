"""Steps the Authority, RA profile and ACME profile API tests share: objects made through the
management API itself, problem checks, and ACME clients against the profiles made.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from acmehub.domain.admin_model import AuditEvent
from acmehub.domain.ports import AuditFilter, Page
from tests.support.server import AcmehubServer


def label(prefix: str) -> str:
    """A profile or authority name unique in the session."""
    return f"{prefix}-{secrets.token_hex(4)}"


def problem(response: httpx.Response, status: int, detail: str = "") -> dict[str, Any]:
    """An RFC 9457 problem document with this status whose detail contains ``detail``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, Any] = response.json()
    assert doc["status"] == status
    assert detail in doc["detail"], doc
    return doc


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def created(api: httpx.Client, url: str, body: dict[str, Any]) -> str:
    """POST, expect 201 {uuid} with a Location that GETs the new object; returns the uuid."""
    response = api.post(url, json=body)
    assert response.status_code == 201, response.text
    uuid: str = response.json()["uuid"]
    location = response.headers["Location"]
    assert location.endswith(f"{url}/{uuid}"), location
    assert api.get(location).json()["uuid"] == uuid
    return uuid


def default_authority(api: httpx.Client) -> dict[str, Any]:
    """The embedded Authority `acmehub init` made."""
    authorities = ok(api.get("/authorities"))["items"]
    found: dict[str, Any] = next(a for a in authorities if a["name"] == "embedded")
    return found


def new_ra_profile(
    api: httpx.Client, authority_uuid: str | None = None, **body: Any
) -> dict[str, Any]:
    authority_uuid = authority_uuid or default_authority(api)["uuid"]
    body.setdefault("name", label("ra"))
    url = f"/authorities/{authority_uuid}/raProfiles"
    uuid = created(api, url, body)
    doc: dict[str, Any] = ok(api.get(f"{url}/{uuid}"))
    return doc


def ra_url(ra: dict[str, Any], action: str = "") -> str:
    return f"/authorities/{ra['authority']['uuid']}/raProfiles/{ra['uuid']}{action}"


def new_acme_profile(
    api: httpx.Client, ra: dict[str, Any] | None = None, *, enabled: bool = True, **body: Any
) -> dict[str, Any]:
    """An ACME profile made through the API (enabled unless told), default RA ``ra``."""
    body.setdefault("name", label("acme"))
    body.setdefault("retryInterval", 1)
    if ra is not None:
        body.setdefault("raProfileUuid", ra["uuid"])
    uuid = created(api, "/acmeProfiles", body)
    if enabled:
        assert api.patch(f"/acmeProfiles/{uuid}/enable").status_code == 204
    doc: dict[str, Any] = ok(api.get(f"/acmeProfiles/{uuid}"))
    return doc


def activate(
    api: httpx.Client, ra: dict[str, Any], acme: dict[str, Any], **body: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = ok(
        api.patch(ra_url(ra, f"/protocols/acme/activate/{acme['uuid']}"), json=body)
    )
    return doc


def audit_events(server: AcmehubServer, action: str, object_id: str) -> list[AuditEvent]:
    with server.container().services.deps.uow() as tx:
        return tx.audit.list(AuditFilter(action=action, object_id=object_id), Page())


def octets_hex(serial: int) -> str:
    """A serial as ``openssl x509 -serial`` prints it (whole octets, leading zero kept)."""
    return serial.to_bytes((serial.bit_length() + 7) // 8, "big").hex()

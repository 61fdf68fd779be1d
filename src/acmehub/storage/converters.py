"""Explicit row <-> domain converters (no ORM)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from acmehub.domain.errors import Problem
from acmehub.domain.model import (
    Account,
    AccountStatus,
    AcmeProfile,
    Authority,
    Authorization,
    AuthzStatus,
    Certificate,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    EabKey,
    Identifier,
    IssuancePolicy,
    Order,
    OrderStatus,
    RaProfile,
    ValidationNetwork,
)

Row = Mapping[Any, Any]


def _problem(doc: Any) -> Problem | None:
    return Problem.from_json(doc) if isinstance(doc, dict) else None


def authority_from_row(r: Row) -> Authority:
    return Authority(
        r["uuid"],
        r["name"],
        r["kind"],
        r["enabled"],
        dict(r["config"]),
        dict(r["key_material"] or {}),
    )


def authority_to_row(a: Authority) -> dict[str, Any]:
    return {
        "uuid": a.uuid,
        "name": a.name,
        "kind": a.kind,
        "enabled": a.enabled,
        "config": a.config,
        "key_material": a.key_material or None,
    }


def ra_profile_from_row(r: Row) -> RaProfile:
    return RaProfile(
        uuid=r["uuid"],
        name=r["name"],
        authority_uuid=r["authority_uuid"],
        enabled=r["enabled"],
        description=r["description"],
        validity_default=r["validity_default"],
        validity_max=r["validity_max"],
        acme_profile_uuid=r["acme_profile_uuid"],
        acme_issue_attributes=dict(r["acme_issue_attributes"]),
        acme_revoke_attributes=dict(r["acme_revoke_attributes"]),
        policy=policy_from_json(r["policy"]),
    )


def policy_from_json(doc: Any) -> IssuancePolicy:
    if not isinstance(doc, dict) or not doc:
        return IssuancePolicy()
    defaults = IssuancePolicy()
    values: dict[str, Any] = {}
    for name in IssuancePolicy.__dataclass_fields__:
        raw = doc.get(name, getattr(defaults, name))
        values[name] = tuple(raw) if isinstance(raw, list) else raw
    return IssuancePolicy(**values)


def policy_to_json(policy: IssuancePolicy) -> dict[str, Any]:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in ((n, getattr(policy, n)) for n in IssuancePolicy.__dataclass_fields__)
    }


def ra_profile_to_row(p: RaProfile) -> dict[str, Any]:
    return {
        "uuid": p.uuid,
        "name": p.name,
        "authority_uuid": p.authority_uuid,
        "enabled": p.enabled,
        "description": p.description,
        "validity_default": p.validity_default,
        "validity_max": p.validity_max,
        "acme_profile_uuid": p.acme_profile_uuid,
        "acme_issue_attributes": p.acme_issue_attributes,
        "acme_revoke_attributes": p.acme_revoke_attributes,
        "policy": policy_to_json(p.policy),
    }


_ACME_PROFILE_SCALARS = (
    "uuid",
    "name",
    "enabled",
    "description",
    "terms_of_service_url",
    "website_url",
    "dns_resolver_ip",
    "dns_resolver_port",
    "retry_interval",
    "validity",
    "terms_of_service_change_disable",
    "terms_of_service_change_url",
    "terms_of_service_changed_at",
    "require_contact",
    "require_terms_of_service",
    "require_external_account_binding",
    "default_ra_profile_uuid",
    "caa_checking",
    "dnssec_required",
    "offer_dns_account_01",
    "offer_dns_persist_01",
    "new_authz_enabled",
    "subdomain_auth_allowed",
    "authorization_reuse",
    "renewal_info",
    "renewal_info_retry_after",
)
_ACME_PROFILE_DICTS = (
    "issue_certificate_attributes",
    "revoke_certificate_attributes",
    "custom_attributes",
    "certificate_associations",
)


def acme_profile_from_row(r: Row) -> AcmeProfile:
    values: dict[str, Any] = {k: r[k] for k in _ACME_PROFILE_SCALARS}
    values.update({k: dict(r[k]) for k in _ACME_PROFILE_DICTS})
    values["caa_identities"] = tuple(r["caa_identities"])
    values["validation_network"] = ValidationNetwork(r["validation_network"])
    return AcmeProfile(**values)


def acme_profile_to_row(p: AcmeProfile) -> dict[str, Any]:
    row: dict[str, Any] = {k: getattr(p, k) for k in _ACME_PROFILE_SCALARS + _ACME_PROFILE_DICTS}
    row["caa_identities"] = list(p.caa_identities)
    row["validation_network"] = str(p.validation_network)
    return row


def account_from_row(r: Row) -> Account:
    return Account(
        id=r["id"],
        uuid=r["uuid"],
        key_thumbprint=r["key_thumbprint"],
        jwk=dict(r["jwk"]),
        status=AccountStatus(r["status"]),
        enabled=r["enabled"],
        contact=tuple(r["contact"]),
        terms_of_service_agreed=r["terms_of_service_agreed"],
        acme_profile_uuid=r["acme_profile_uuid"],
        ra_profile_uuid=r["ra_profile_uuid"],
        via_default_ra_profile=r["via_default_ra_profile"],
        created_at=r["created_at"],
        tos_agreed_at=r["tos_agreed_at"],
        eab_key_id=r["eab_key_id"],
    )


def account_to_row(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "uuid": a.uuid,
        "key_thumbprint": a.key_thumbprint,
        "jwk": a.jwk,
        "status": a.status.value,
        "enabled": a.enabled,
        "contact": list(a.contact),
        "terms_of_service_agreed": a.terms_of_service_agreed,
        "tos_agreed_at": a.tos_agreed_at,
        "acme_profile_uuid": a.acme_profile_uuid,
        "ra_profile_uuid": a.ra_profile_uuid,
        "via_default_ra_profile": a.via_default_ra_profile,
        "created_at": a.created_at,
        "eab_key_id": a.eab_key_id,
    }


def order_from_row(r: Row) -> Order:
    return Order(
        id=r["id"],
        account_id=r["account_id"],
        status=OrderStatus(r["status"]),
        identifiers=tuple(Identifier(i["type"], i["value"]) for i in r["identifiers"]),
        authorization_ids=tuple(r["authorization_ids"]),
        expires=r["expires"],
        created_at=r["created_at"],
        not_before=r["not_before"],
        not_after=r["not_after"],
        error=_problem(r["error"]),
        certificate_id=r["certificate_id"],
        acme_profile_uuid=r["acme_profile_uuid"],
        ra_profile_uuid=r["ra_profile_uuid"],
        csr_der=r["csr_der"],
        profile=r["profile"],
        replaces=r["replaces"],
    )


def order_to_row(o: Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "account_id": o.account_id,
        "status": o.status.value,
        "identifiers": [i.to_json() for i in o.identifiers],
        "authorization_ids": list(o.authorization_ids),
        "expires": o.expires,
        "created_at": o.created_at,
        "not_before": o.not_before,
        "not_after": o.not_after,
        "error": o.error.to_json() if o.error else None,
        "certificate_id": o.certificate_id,
        "acme_profile_uuid": o.acme_profile_uuid,
        "ra_profile_uuid": o.ra_profile_uuid,
        "csr_der": o.csr_der,
        "profile": o.profile,
        "replaces": o.replaces,
    }


def challenge_from_row(r: Row) -> Challenge:
    return Challenge(
        id=r["id"],
        authorization_id=r["authorization_id"],
        type=ChallengeType(r["type"]),
        token=r["token"],
        status=ChallengeStatus(r["status"]),
        validated=r["validated"],
        error=_problem(r["error"]),
    )


def challenge_to_row(c: Challenge) -> dict[str, Any]:
    return {
        "id": c.id,
        "authorization_id": c.authorization_id,
        "type": c.type.value,
        "token": c.token,
        "status": c.status.value,
        "validated": c.validated,
        "error": c.error.to_json() if c.error else None,
    }


def authorization_from_row(r: Row, challenge_rows: Sequence[Row]) -> Authorization:
    return Authorization(
        id=r["id"],
        account_id=r["account_id"],
        identifier=Identifier(r["identifier_type"], r["identifier_value"]),
        wildcard=r["wildcard"],
        status=AuthzStatus(r["status"]),
        expires=r["expires"],
        challenges=tuple(challenge_from_row(c) for c in challenge_rows),
        order_id=r["order_id"],
        subdomain_auth_allowed=r["subdomain_auth_allowed"],
        acme_profile_uuid=r["acme_profile_uuid"] or "",
        ra_profile_uuid=r["ra_profile_uuid"] or "",
    )


def authorization_to_row(a: Authorization, order_id: str | None) -> dict[str, Any]:
    return {
        "id": a.id,
        "order_id": order_id,
        "account_id": a.account_id,
        "identifier_type": a.identifier.type,
        "identifier_value": a.identifier.value,
        "wildcard": a.wildcard,
        "status": a.status.value,
        "expires": a.expires,
        "subdomain_auth_allowed": a.subdomain_auth_allowed,
        "acme_profile_uuid": a.acme_profile_uuid or None,
        "ra_profile_uuid": a.ra_profile_uuid or None,
    }


def certificate_from_row(r: Row) -> Certificate:
    return Certificate(
        id=r["id"],
        serial_hex=r["serial_hex"],
        order_id=r["order_id"],
        account_id=r["account_id"],
        pem=r["pem"],
        chain_pem=r["chain_pem"],
        names=tuple(r["names"]),
        not_before=r["not_before"],
        not_after=r["not_after"],
        ra_profile_uuid=r["ra_profile_uuid"],
        acme_profile_uuid=r["acme_profile_uuid"],
        authority_uuid=r["authority_uuid"],
        key_thumbprint=r["key_thumbprint"],
        issued_at=r["issued_at"],
        revoked_at=r["revoked_at"],
        revocation_reason=r["revocation_reason"],
        associations=dict(r["associations"] or {}),
        renewal_moved_at=r["renewal_moved_at"],
        renewal_explanation_url=r["renewal_explanation_url"],
    )


def certificate_to_row(c: Certificate) -> dict[str, Any]:
    return {
        "id": c.id,
        "serial_hex": c.serial_hex,
        "order_id": c.order_id,
        "account_id": c.account_id,
        "pem": c.pem,
        "chain_pem": c.chain_pem,
        "names": list(c.names),
        "not_before": c.not_before,
        "not_after": c.not_after,
        "ra_profile_uuid": c.ra_profile_uuid,
        "acme_profile_uuid": c.acme_profile_uuid,
        "authority_uuid": c.authority_uuid,
        "key_thumbprint": c.key_thumbprint,
        "issued_at": c.issued_at,
        "revoked_at": c.revoked_at,
        "revocation_reason": c.revocation_reason,
        "associations": c.associations,
        "renewal_moved_at": c.renewal_moved_at,
        "renewal_explanation_url": c.renewal_explanation_url,
    }


def eab_key_from_row(r: Row) -> EabKey:
    return EabKey(
        key_id=r["key_id"],
        acme_profile_uuid=r["acme_profile_uuid"],
        hmac_key=bytes(r["hmac_key"]),
        algorithm=r["algorithm"],
        created_at=r["created_at"],
        reusable=r["reusable"],
        expires_at=r["expires_at"],
        revoked_at=r["revoked_at"],
        used_count=r["used_count"],
        description=r["description"],
    )


def eab_key_to_row(k: EabKey) -> dict[str, Any]:
    return {
        "key_id": k.key_id,
        "acme_profile_uuid": k.acme_profile_uuid,
        "hmac_key": k.hmac_key,
        "algorithm": k.algorithm,
        "created_at": k.created_at,
        "reusable": k.reusable,
        "expires_at": k.expires_at,
        "revoked_at": k.revoked_at,
        "used_count": k.used_count,
        "description": k.description,
    }

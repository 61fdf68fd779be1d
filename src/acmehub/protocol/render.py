"""JSON representations of ACME resources (RFC 8555 §7.1.2 - §7.1.5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from acmehub.domain.model import (
    Account,
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeType,
    Order,
    OrderStatus,
)
from acmehub.protocol.links import Link, Linker


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def account_json(account: Account, links: Linker) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "status": account.status.value,
        "contact": list(account.contact),
        "termsOfServiceAgreed": account.terms_of_service_agreed,
        "orders": links.url(Link.ACCOUNT_ORDERS, account.id),
        "key": account.jwk,
        "createdAt": rfc3339(account.created_at),
    }
    return doc


def order_json(order: Order, status: OrderStatus, links: Linker) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "status": status.value,
        "expires": rfc3339(order.expires),
        "identifiers": [i.to_json() for i in order.identifiers],
        "authorizations": [links.url(Link.AUTHZ, a) for a in order.authorization_ids],
        "finalize": links.url(Link.FINALIZE, order.id),
    }
    if order.not_before is not None:
        doc["notBefore"] = rfc3339(order.not_before)
    if order.not_after is not None:
        doc["notAfter"] = rfc3339(order.not_after)
    if order.profile is not None:
        doc["profile"] = order.profile  # draft-ietf-acme-profiles
    if order.replaces is not None:
        doc["replaces"] = order.replaces  # RFC 9773 §5: reflected in every answer
    if status is OrderStatus.INVALID and order.error is not None:
        doc["error"] = order.error.to_json()
    if status is OrderStatus.VALID and order.certificate_id:
        doc["certificate"] = links.url(Link.CERT, order.certificate_id)
    return doc


def challenge_json(
    challenge: Challenge, links: Linker, issuer_domains: Sequence[str] = ()
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": challenge.type.value,
        "url": links.url(Link.CHALLENGE, challenge.id),
        "status": challenge.status.value,
    }
    if challenge.type is ChallengeType.DNS_PERSIST_01:
        # draft-ietf-acme-dns-persist §3.1: no token; the names a record may carry instead.
        doc["issuerDomainNames"] = list(issuer_domains)
    else:
        doc["token"] = challenge.token
    if challenge.validated is not None:
        doc["validated"] = rfc3339(challenge.validated)
    if challenge.error is not None:
        doc["error"] = challenge.error.to_json()
    return doc


def authorization_json(
    authz: Authorization,
    status: AuthzStatus,
    links: Linker,
    issuer_domains: Sequence[str] = (),
) -> dict[str, Any]:
    challenges = authz.challenges
    if status is AuthzStatus.VALID:
        # RFC 8555 §7.1.4: a valid authorization lists the challenge that was validated.
        challenges = tuple(c for c in challenges if c.status.value == "valid") or challenges
    doc: dict[str, Any] = {
        "identifier": authz.identifier.to_json(),
        "status": status.value,
        "expires": rfc3339(authz.expires),
        "challenges": [challenge_json(c, links, issuer_domains) for c in challenges],
    }
    if authz.wildcard:
        doc["wildcard"] = True
    if authz.subdomain_auth_allowed:
        doc["subdomainAuthAllowed"] = True  # RFC 9444 §4.1
    return doc

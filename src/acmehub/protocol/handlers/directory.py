"""Directory (RFC 8555 §7.1.1) and new-nonce (§7.2)."""

from __future__ import annotations

from typing import Any

from acmehub.domain.certificate_profiles import directory_profiles
from acmehub.domain.dns_challenges import persist_issuer_domains
from acmehub.domain.model import caa_issuer_domains
from acmehub.protocol.links import DIRECTORY_MEMBERS, Link
from acmehub.protocol.request import AcmeRequest, Reply


def directory(req: AcmeRequest) -> Reply:
    profile = req.ctx.acme_profile
    meta: dict[str, Any] = {"externalAccountRequired": profile.require_external_account_binding}
    if profile.terms_of_service_url:
        meta["termsOfService"] = profile.terms_of_service_url
    if profile.website_url:
        meta["website"] = profile.website_url
    # RFC 8555 §7.1.1: exactly the names the CAA check accepts for this directory's RA profile.
    if issuers := caa_issuer_domains(profile, req.ctx.ra_profile):
        meta["caaIdentities"] = list(issuers)
    # draft-ietf-acme-dns-persist §3.2: the names a _validation-persist record may carry.
    if profile.offer_dns_persist_01 and (
        persist := persist_issuer_domains(profile, req.ctx.ra_profile)
    ):
        meta["issuerDomainNames"] = list(persist)
    # draft-ietf-acme-profiles: the certificate profiles this directory's RA profile offers.
    if req.ctx.certificate_profiles:
        meta["profiles"] = directory_profiles(req.ctx.certificate_profiles)
    doc: dict[str, Any] = {link.value: req.links.url(link) for link in DIRECTORY_MEMBERS}
    # RFC 8555 §7.4.1 / RFC 9444 §4.4: shown only where the ACME profile offers them.
    if profile.new_authz_enabled:
        doc[Link.NEW_AUTHZ.value] = req.links.url(Link.NEW_AUTHZ)
        if profile.subdomain_auth_allowed:
            meta["subdomainAuthAllowed"] = True
    if profile.renewal_info:  # RFC 9773 §3
        doc[Link.RENEWAL_INFO.value] = req.links.collection(Link.RENEWAL_INFO)
    doc["meta"] = meta
    return Reply(json=doc)


def new_nonce_head(req: AcmeRequest) -> Reply:
    return Reply(status=200)


def new_nonce_get(req: AcmeRequest) -> Reply:
    # RFC 8555 §7.2: GET answers 204 No Content, HEAD 200.
    return Reply(status=204)

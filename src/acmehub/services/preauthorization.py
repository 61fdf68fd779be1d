"""newAuthz (RFC 8555 §7.4.1, RFC 9444 §4.2) and the authorizations a new order takes over
instead of making fresh ones (domain/preauthorization.py holds the rules)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.identifiers import parse_identifiers
from acmehub.domain.model import Authorization
from acmehub.domain.policy import check_identifiers
from acmehub.services.accounts import AccountService, check_account_enabled
from acmehub.services.context import AcmeContext
from acmehub.services.deps import ServiceDeps
from acmehub.services.new_authorizations import check_addresses, new_authorization
from acmehub.services.orders import OrderService


def _flag(payload: dict[str, Any], name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise DomainError(ErrorKind.MALFORMED, f"{name} must be a boolean")
    return value


class PreAuthorizationService:
    def __init__(self, deps: ServiceDeps, accounts: AccountService) -> None:
        self._d = deps
        self._accounts = accounts

    def new_authz(
        self, ctx: AcmeContext, account_id: str, payload: dict[str, Any]
    ) -> Authorization:
        """RFC 8555 §7.4.1: an authorization for one identifier, before any order; with
        ``subdomainAuthAllowed`` (RFC 9444 §4.2) one that also covers the names below it."""
        profile = ctx.acme_profile
        if not profile.new_authz_enabled:
            raise DomainError(
                ErrorKind.MALFORMED,
                f"ACME profile {profile.name} does not offer pre-authorization (newAuthz)",
                status=404,
            )
        subdomains = _flag(payload, "subdomainAuthAllowed")
        if subdomains and not profile.subdomain_auth_allowed:
            raise DomainError(
                ErrorKind.MALFORMED,
                f"ACME profile {profile.name} does not offer subdomain authorizations "
                f"(RFC 9444): send newAuthz without subdomainAuthAllowed",
            )
        raw = payload.get("identifier")
        if not isinstance(raw, dict):
            raise DomainError(ErrorKind.MALFORMED, "newAuthz needs an identifier object")
        value = raw.get("value")
        if isinstance(value, str) and value.startswith("*."):
            # RFC 8555 §7.4.1: the identifier is exactly the authorization's; no wildcards.
            raise DomainError(
                ErrorKind.MALFORMED,
                f"newAuthz cannot pre-authorize the wildcard {value[:255]}: order it with "
                f"newOrder instead (RFC 8555 §7.4.1)",
            )
        (ident,) = parse_identifiers([raw])
        if subdomains and ident.type != "dns":
            # RFC 9444 §4: subdomains are a DNS name's; an address has none.
            raise DomainError(
                ErrorKind.MALFORMED,
                f"subdomainAuthAllowed is for DNS names only, not the {ident.type} identifier "
                f"{ident.value}",
            )
        now = self._d.clock.now()
        with self._d.uow(write=True) as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            check_account_enabled(account)
            OrderService.check_terms(ctx, account)
            # The RA profile's issuance policy, as for an order of this one name.
            check_identifiers(ctx.ra_profile.policy, (ident,))
            check_addresses(self._d, ctx, (ident,))
            authz = new_authorization(
                ctx,
                account,
                ident,
                now + timedelta(seconds=profile.validity),
                order_id=None,
                subdomains=subdomains,
            )
            tx.authorizations.add(authz, None)
        return authz

"""All services, built from one set of dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from acmehub.services.account_admin import AccountAdminService
from acmehub.services.accounts import AccountService
from acmehub.services.acme_profiles import AcmeProfileService
from acmehub.services.audit_log import AuditLogService
from acmehub.services.authorities import AuthorityService
from acmehub.services.authorizations import AuthorizationService
from acmehub.services.certificate_admin import CertificateAdminService
from acmehub.services.certificate_profiles import CertificateProfileService
from acmehub.services.certificates import CertificateService
from acmehub.services.context import AcmeContext, ContextCache, ProfileRef
from acmehub.services.dashboard import DashboardService
from acmehub.services.deps import ServiceDeps
from acmehub.services.eab import EabService
from acmehub.services.finalize import FinalizeService
from acmehub.services.order_browser import OrderBrowserService
from acmehub.services.orders import OrderService
from acmehub.services.platform import PlatformService
from acmehub.services.preauthorization import PreAuthorizationService
from acmehub.services.ra_profiles import RaProfileService
from acmehub.services.renewal_info import RenewalInfoService
from acmehub.services.sessions import SessionService
from acmehub.services.sign_in_throttle import ThrottlePolicy
from acmehub.services.tokens import TokenService
from acmehub.services.users import UserService


@dataclass(frozen=True)
class Services:
    deps: ServiceDeps
    accounts: AccountService
    orders: OrderService
    authorizations: AuthorizationService
    preauthorizations: PreAuthorizationService
    finalize: FinalizeService
    certificates: CertificateService
    platform: PlatformService
    authorities: AuthorityService
    ra_profiles: RaProfileService
    certificate_profiles: CertificateProfileService
    acme_profiles: AcmeProfileService
    tokens: TokenService
    audit_log: AuditLogService
    account_admin: AccountAdminService
    eab: EabService
    certificate_admin: CertificateAdminService
    users: UserService
    sessions: SessionService
    dashboard: DashboardService
    order_browser: OrderBrowserService
    renewal_info: RenewalInfoService
    contexts: ContextCache

    @classmethod
    def build(cls, deps: ServiceDeps, *, sign_in: ThrottlePolicy | None = None) -> Services:
        accounts = AccountService(deps)
        authorities = AuthorityService(deps)
        ra_profiles = RaProfileService(deps)
        acme_profiles = AcmeProfileService(deps)
        users = UserService(deps)
        return cls(
            deps=deps,
            accounts=accounts,
            orders=OrderService(deps, accounts),
            authorizations=AuthorizationService(deps, accounts),
            preauthorizations=PreAuthorizationService(deps, accounts),
            finalize=FinalizeService(deps, accounts),
            certificates=CertificateService(deps, accounts),
            platform=PlatformService(authorities, ra_profiles, acme_profiles),
            authorities=authorities,
            ra_profiles=ra_profiles,
            certificate_profiles=CertificateProfileService(deps),
            acme_profiles=acme_profiles,
            tokens=TokenService(deps),
            audit_log=AuditLogService(deps),
            account_admin=AccountAdminService(deps),
            eab=EabService(deps),
            certificate_admin=CertificateAdminService(deps),
            users=users,
            sessions=SessionService(deps, users, throttle=sign_in),
            dashboard=DashboardService(deps),
            order_browser=OrderBrowserService(deps),
            renewal_info=RenewalInfoService(deps),
            contexts=ContextCache(deps.uow),
        )

    def context(self, ref: ProfileRef, *, directory: bool = False) -> AcmeContext:
        return self.contexts.get(ref, directory=directory)

"""Ports (typing.Protocol) that adapters implement, in one import: the clock, the CA, validation
and storage. Each family lives in a module of its own; this one re-exports them.

- :mod:`acmehub.domain.clock`: :class:`Clock`
- :mod:`acmehub.domain.ca_ports`: CA backends, the CA provisioner, their requests and results
- :mod:`acmehub.domain.validation_ports`: the VA and the validation queue
- :mod:`acmehub.domain.storage_ports`: nonces, repositories, filters, the unit of work
- :mod:`acmehub.domain.report_ports`: the dashboard's aggregates
- :mod:`acmehub.domain.sign_in_ports`: the sign-in throttle's repository
"""

from __future__ import annotations

from acmehub.domain.ca_ports import (
    AlternateChainsCapability,
    CaBackend,
    CaBackends,
    CaProvisioner,
    CrlCapability,
    IssuedCertificate,
    IssueRequest,
    ProvisionedCa,
    RevokedEntry,
    RevokeRequest,
)
from acmehub.domain.clock import Clock
from acmehub.domain.report_ports import AccountCount, FailedValidationCount, ReportsRepository
from acmehub.domain.sign_in_ports import SignInFailureRepository
from acmehub.domain.storage_ports import (
    AccountFilter,
    AccountRepository,
    AuditFilter,
    AuditRepository,
    AuthorizationRepository,
    BlockedKeyRepository,
    CertificateFilter,
    CertificateRepository,
    EabKeyRepository,
    NonceStore,
    OrderFilter,
    OrderRepository,
    Page,
    ProfileRepository,
    SessionRepository,
    TokenRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UserRepository,
)
from acmehub.domain.validation_ports import (
    AddressScreen,
    CaaChecker,
    ValidationQueue,
    Validator,
)

__all__ = [
    "AccountCount",
    "AccountFilter",
    "AccountRepository",
    "AddressScreen",
    "AlternateChainsCapability",
    "AuditFilter",
    "AuditRepository",
    "AuthorizationRepository",
    "BlockedKeyRepository",
    "CaBackend",
    "CaBackends",
    "CaProvisioner",
    "CaaChecker",
    "CertificateFilter",
    "CertificateRepository",
    "Clock",
    "CrlCapability",
    "EabKeyRepository",
    "FailedValidationCount",
    "IssueRequest",
    "IssuedCertificate",
    "NonceStore",
    "OrderFilter",
    "OrderRepository",
    "Page",
    "ProfileRepository",
    "ProvisionedCa",
    "ReportsRepository",
    "RevokeRequest",
    "RevokedEntry",
    "SessionRepository",
    "SignInFailureRepository",
    "TokenRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRepository",
    "ValidationQueue",
    "Validator",
]

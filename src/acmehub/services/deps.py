"""What every service needs, built once by the composition root."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from acmehub.domain.ports import (
    AddressScreen,
    CaaChecker,
    CaBackends,
    CaProvisioner,
    Clock,
    NonceStore,
    UnitOfWorkFactory,
    ValidationQueue,
)
from acmehub.domain.urls import Urls


@dataclass(frozen=True)
class ServiceDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    nonces: NonceStore
    ca: CaBackends
    queue: ValidationQueue
    #: Creates embedded Authorities (None where the deployment cannot hold CA keys).
    provisioner: CaProvisioner | None = None
    #: The deployment's URLs (the configured external base URL), for the views that show them.
    urls: Urls = field(default_factory=lambda: Urls(""))
    #: CAA checked again at finalize (the VA); None: no recheck (unit tests without DNS).
    caa: CaaChecker | None = None
    #: The VA's address policy, asked at new-order about IP identifiers (RFC 8738); None:
    #: not asked (unit tests without a VA).
    addresses: AddressScreen | None = None
    #: Names whose authorization was validated longer ago get their CAA checked again at
    #: finalize (Baseline Requirements 3.2.2.8 allow 8 hours; Boulder uses 7).
    caa_recheck_after: timedelta = timedelta(hours=7)
    #: How far a certificate's notBefore may lie before its issuance (setting
    #: ``backdate_seconds``); also the earliest notBefore new-order accepts.
    backdate: timedelta = timedelta(hours=1)


def new_id() -> str:
    """An opaque, unguessable protocol identifier (128 bits, base64url)."""
    # Never a leading "-": an id typed on a command line must not read as an option.
    while (made := secrets.token_urlsafe(16)).startswith("-"):
        pass
    return made

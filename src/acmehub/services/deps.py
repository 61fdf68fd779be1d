"""What every service needs, built once by the composition root."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from acmehub.domain.ports import (
    CaBackends,
    CaProvisioner,
    Clock,
    NonceStore,
    UnitOfWorkFactory,
    ValidationQueue,
)


@dataclass(frozen=True)
class ServiceDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    nonces: NonceStore
    ca: CaBackends
    queue: ValidationQueue
    #: Creates embedded Authorities (None where the deployment cannot hold CA keys).
    provisioner: CaProvisioner | None = None


def new_id() -> str:
    """An opaque, unguessable protocol identifier (128 bits, base64url)."""
    return secrets.token_urlsafe(16)

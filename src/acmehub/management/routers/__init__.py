"""One router per object family; ROUTERS is what the management app includes."""

from __future__ import annotations

from fastapi import APIRouter

from acmehub.management.routers import (
    acme_accounts,
    acme_profiles,
    audit,
    authorities,
    certificate_profiles,
    certificates,
    eab,
    orders,
    ra_profiles,
    tokens,
)

ROUTERS: list[APIRouter] = [
    audit.router,
    tokens.router,
    acme_accounts.router,
    eab.router,
    certificates.router,
    orders.router,
    authorities.router,
    ra_profiles.router,
    certificate_profiles.router,
    acme_profiles.router,
]

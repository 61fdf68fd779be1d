"""One router per object family; ROUTERS is what the management app includes."""

from __future__ import annotations

from fastapi import APIRouter

from acmehub.management.routers import audit, tokens

ROUTERS: list[APIRouter] = [audit.router, tokens.router]

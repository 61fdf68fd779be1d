"""One router per object family; ROUTERS is what the management app includes."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []

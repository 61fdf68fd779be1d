"""CA backends: the registry by type name and the embedded CA (RFC 5280 issuance and CRLs)."""

from __future__ import annotations

from acmehub.ca.registry import BackendContext, BackendFactory, CaRegistry

__all__ = ["BackendContext", "BackendFactory", "CaRegistry"]

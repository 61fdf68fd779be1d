"""The refusal of undeclared query parameters, for routers not yet written as action tables
(an action with a query model has it already: management/actions.py)."""

from __future__ import annotations

from acmehub.management.actions import reject_unknown_query

__all__ = ["reject_unknown_query"]

"""Parameter types shared by the routers (the definitions live with the commands)."""

from __future__ import annotations

from acmehub.services.commands.base import Timestamp

__all__ = ["Timestamp"]

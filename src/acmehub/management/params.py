"""Parameter types shared by the routers.

``Timestamp``: an RFC 3339 date-time with a zone (services/commands/base.py, where the commands
use it too).
"""

from __future__ import annotations

from acmehub.services.commands.base import Timestamp

__all__ = ["Timestamp"]

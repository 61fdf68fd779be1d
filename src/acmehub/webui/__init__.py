"""Server-rendered administration pages under /ui; they call the services only."""

from __future__ import annotations

from acmehub.webui.app import create_webui_app

__all__ = ["create_webui_app"]

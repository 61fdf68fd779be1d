"""`acmehub openapi`: print the REST API's OpenAPI document (what /api/v1/openapi.json serves)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from acmehub import bootstrap
from acmehub.config import load_settings
from acmehub.management.app import create_management_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser("openapi", help="print the REST API's OpenAPI document (JSON)")
    command.add_argument("--output", type=Path, help="write to this file instead of stdout")
    command.set_defaults(func=_openapi)


def document(args: argparse.Namespace) -> dict[str, Any]:
    # No database access: the document comes from the routes alone.
    container = bootstrap.build_container(load_settings(Path(args.config) if args.config else None))
    try:
        doc: dict[str, Any] = create_management_app(container.services).openapi()
        return doc
    finally:
        container.engine.dispose()


def _openapi(args: argparse.Namespace) -> int:
    text = json.dumps(document(args), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
    return 0

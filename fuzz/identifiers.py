"""Fuzz target: a newOrder's ``identifiers`` through the identifier policy (issue 15 §8).

Whatever a client sends, ``parse_identifiers`` answers with identifiers or a DomainError that
renders as a problem document; any other exception is a crash. What it accepts must be
canonical: lower-case ASCII letters, digits, hyphens and dots, at most 253 characters, and
parsing it again gives the same.

    python fuzz/identifiers.py -max_total_time=120      # `make fuzz` runs every fuzz/*.py

Two shapes of input: the bytes as JSON (any structure at all), and identifiers built from the
bytes (strings mixing ASCII, "xn--", "*.", dots and arbitrary code points), which reach the
name rules far more often than random JSON does.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from typing import Any

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports():
    from acmehub.domain.errors import DomainError
    from acmehub.domain.identifiers import MAX_NAME_LENGTH, parse_identifiers

_CANONICAL = re.compile(r"(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+")
_PIECES = ("xn--", "*.", ".", "-", "--", "co.uk", "com", "example", "xn--bcher-kva", "\u212a")


def _built(fdp: atheris.FuzzedDataProvider) -> list[Any]:
    items: list[Any] = []
    for _ in range(fdp.ConsumeIntInRange(1, 4)):
        parts = []
        for _ in range(fdp.ConsumeIntInRange(0, 8)):
            if fdp.ConsumeBool():
                parts.append(_PIECES[fdp.ConsumeIntInRange(0, len(_PIECES) - 1)])
            else:
                parts.append(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 12)))
        kind = "dns" if fdp.ConsumeIntInRange(0, 7) else fdp.ConsumeUnicode(3)
        items.append({"type": kind, "value": "".join(parts)})
    return items


def _inputs(data: bytes) -> list[Any]:
    fdp = atheris.FuzzedDataProvider(data)
    inputs: list[Any] = [_built(fdp)]
    with contextlib.suppress(ValueError, RecursionError):
        inputs.append(json.loads(data))
    return inputs


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris's name)
    for raw in _inputs(data):
        try:
            parsed = parse_identifiers(raw)
        except DomainError as error:
            json.dumps(error.problem.to_json())
            continue
        for identifier in parsed:
            value = identifier.value
            if len(value) > MAX_NAME_LENGTH or not _CANONICAL.fullmatch(value):
                raise AssertionError(f"accepted a non-canonical name {value!r}")
        if parse_identifiers([i.to_json() for i in parsed]) != parsed:
            raise AssertionError(f"{parsed!r} does not parse to itself")


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()

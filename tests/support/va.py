"""The VA's coroutine called from plain (synchronous) tests: one event loop per validation."""

from __future__ import annotations

import asyncio

from acmehub.domain.model import ValidationResult, ValidationTask
from acmehub.validation import ValidationAuthority

#: ``VaSettings.allowed_networks`` of loopback test set-ups: the challenge servers of the tests
#: listen on 127.0.0.1, which the address policy refuses unless allowed (issue 15).
LOOPBACK_ALLOWED = ("127.0.0.0/8",)


class Blocking:
    """``ValidationAuthority`` whose ``validate`` runs to completion in an event loop of its own."""

    def __init__(self, authority: ValidationAuthority) -> None:
        self.authority = authority

    def validate(self, task: ValidationTask) -> ValidationResult:
        return asyncio.run(self.authority.validate(task))


def blocking(authority: ValidationAuthority) -> Blocking:
    return Blocking(authority)

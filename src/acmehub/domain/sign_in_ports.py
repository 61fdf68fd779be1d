"""The sign-in throttle's storage port (a part of :mod:`acmehub.domain.ports`, kept apart to
keep that module readable)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from acmehub.domain.admin_model import SignInFailures


class SignInFailureRepository(Protocol):
    """Failed sign-ins per user name and per client address (the sign-in throttle's state,
    shared by every process on the database)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, SignInFailures]: ...

    def add_failure(self, key: str, now: datetime, forget_before: datetime) -> SignInFailures:
        """One more failure for ``key`` (counting from 1 again when the last one was before
        ``forget_before``), atomically also against other processes; the new state."""
        ...

    def lock(self, key: str, now: datetime) -> None: ...

    def clear(self, key: str) -> SignInFailures | None:
        """Forget ``key``'s failures and lock-out; what there was."""
        ...

    def purge(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` rows not locked whose last failure was before ``before``."""
        ...

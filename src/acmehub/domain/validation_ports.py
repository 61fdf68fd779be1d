"""Ports of validation: the VA that checks one challenge and the queue of challenges waiting
for it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from acmehub.domain.errors import Problem
from acmehub.domain.model import ValidationNetwork, ValidationResult, ValidationTask


class Validator(Protocol):
    """The VA: checks one challenge and returns a result without writing state. Runs in the
    caller's event loop."""

    async def validate(self, task: ValidationTask) -> ValidationResult: ...


class CaaChecker(Protocol):
    """CAA (RFC 8659) checked again at finalize, for names validated longer ago than the
    Baseline Requirements (3.2.2.8) let a CA rely on. Called from the services' synchronous
    code; inside the server's event loop it suspends the request instead of blocking it."""

    def recheck_caa(self, tasks: Sequence[ValidationTask]) -> list[Problem]:
        """One problem for each task whose CAA forbids issuance now; [] when all permit."""
        ...


class AddressScreen(Protocol):
    """Where validation may connect (issue 15's address policy), asked at new-order about an IP
    identifier (RFC 8738): an address validation would never connect to cannot be proven."""

    def ip_identifier_refusal(self, value: str, network: ValidationNetwork) -> str | None:
        """Why no challenge could connect to the address ``value``, completing "ADDRESS is
        ..."; None when one could."""
        ...


class ValidationQueue(Protocol):
    """Challenges in ``processing`` waiting for the VA; claimed with a lease by one worker."""

    def claim(
        self, worker: str, now: datetime, lease_seconds: int, limit: int, *, resume: bool = False
    ) -> list[str]:
        """Challenge ids this worker now owns until the lease ends; with ``resume``, only those
        leased to ``worker`` already, whatever their lease's end (a restarted process)."""
        ...

    def renew(self, worker: str, ids: Sequence[str], until: datetime) -> set[str]:
        """Extend the worker's leases; returns the ids that are still its own."""
        ...

    def wake(self) -> None:
        """Hint that work was queued (in-process workers start at once)."""
        ...

    def local_lease(self, now: datetime) -> tuple[str, datetime] | None:
        """(owner, until): a lease for this process's validation worker when it has room now,
        or None. The transaction that answers a challenge records it with the challenge, and
        :meth:`hand_over` then starts the validation, with no claim of its own."""
        ...

    def hand_over(self, challenge_id: str) -> None:
        """Start validating a challenge leased with :meth:`local_lease` in this process."""
        ...

    def expected_validation_seconds(self) -> float | None:
        """About how long a validation started now takes here (None: no figure)."""
        ...

    def wait_settled(self, challenge_ids: Sequence[str], timeout: float) -> bool:
        """Hold a poll, at most ``timeout`` seconds, while this process validates
        ``challenge_ids``; True when they ended meanwhile (False at once when nothing here
        validates them)."""
        ...

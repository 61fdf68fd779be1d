"""The validation authority: one entry point that checks any challenge type.

Like Boulder's VA it writes no state: :meth:`ValidationAuthority.validate`, a coroutine run in
the caller's event loop, returns a :class:`~acmehub.domain.model.ValidationResult` whose
``problem`` says why a challenge failed (RFC 8555 §7.5.1: the server records it on the
challenge) and whose ``attempts`` tell the operator what was tried. Nothing raises out of
``validate``: an unexpected exception becomes a ``serverInternal`` problem with the cause
logged, not shown.

CAA (RFC 8659, :mod:`acmehub.validation.caa`) is checked beside the challenge when the task
asks for it; :meth:`ValidationAuthority.recheck_caa` checks it again for finalize.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from acmehub.concurrency import in_event_loop, wait_for
from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import (
    ChallengeType,
    ValidationNetwork,
    ValidationResult,
    ValidationTask,
)
from acmehub.validation.address_policy import AddressPolicy
from acmehub.validation.caa import check_caa
from acmehub.validation.common import ChallengeError, CheckContext, problem_identifier
from acmehub.validation.dns01 import Dns01Checker
from acmehub.validation.dns_account01 import DnsAccount01Checker
from acmehub.validation.dns_persist01 import DnsPersist01Checker
from acmehub.validation.http01 import Http01Checker
from acmehub.validation.resolver import build_resolver
from acmehub.validation.settings import VaSettings
from acmehub.validation.tlsalpn01 import TlsAlpn01Checker

logger = logging.getLogger(__name__)


class ChallengeChecker(Protocol):
    """Checks one challenge type. Returns when the challenge is met; otherwise raises
    :class:`~acmehub.validation.common.ChallengeError`. Notes what it tries with ``ctx.note``
    and asks ``ctx.step_timeout()`` before each network step."""

    async def check(self, ctx: CheckContext) -> None: ...


def default_checkers(settings: VaSettings) -> dict[ChallengeType, ChallengeChecker]:
    return {
        ChallengeType.HTTP_01: Http01Checker(settings),
        ChallengeType.DNS_01: Dns01Checker(settings),
        ChallengeType.TLS_ALPN_01: TlsAlpn01Checker(settings),
        ChallengeType.DNS_ACCOUNT_01: DnsAccount01Checker(settings),
        ChallengeType.DNS_PERSIST_01: DnsPersist01Checker(settings),
    }


async def _check_with_caa(checker: ChallengeChecker, ctx: CheckContext) -> None:
    """The challenge and CAA (RFC 8659) checked at the same time, as Boulder does: CAA adds no
    latency. The challenge's own failure wins; CAA's counts only when the challenge is met."""
    if not ctx.task.caa_checking:
        await checker.check(ctx)
        return
    caa = asyncio.create_task(check_caa(ctx))
    try:
        await checker.check(ctx)
    except BaseException:
        caa.cancel()
        with contextlib.suppress(BaseException):
            await caa
        raise
    await caa


class ValidationAuthority:
    """Implements the domain ``Validator`` port. Every check runs in the caller's event loop
    (no threads); it keeps no per-call state, so any number of loops may share it."""

    def __init__(
        self,
        settings: VaSettings | None = None,
        checkers: Mapping[ChallengeType, ChallengeChecker] | None = None,
    ) -> None:
        self._settings = settings if settings is not None else VaSettings()
        self._checkers: dict[ChallengeType, ChallengeChecker] = (
            dict(checkers) if checkers is not None else default_checkers(self._settings)
        )
        self._addresses = AddressPolicy(
            self._settings.allowed_networks, self._settings.own_listeners
        )

    @property
    def settings(self) -> VaSettings:
        return self._settings

    def ip_identifier_refusal(self, value: str, network: ValidationNetwork) -> str | None:
        """The domain's ``AddressScreen`` port: why neither http-01 nor tls-alpn-01 could
        connect to the address of an IP identifier (RFC 8738), or None."""
        address = ipaddress.ip_address(value)
        s = self._settings
        refusals = [
            self._addresses.refusal(address, p, network) for p in (s.http01_port, s.tlsalpn01_port)
        ]
        return None if None in refusals else refusals[0]

    def recheck_caa(self, tasks: Sequence[ValidationTask]) -> list[Problem]:
        """The domain's ``CaaChecker`` port (finalize): CAA of every task checked again, all
        at once; one problem per task CAA now forbids. Inside the server's event loop it
        suspends the request (no thread, no blocking); elsewhere it runs a loop of its own."""
        work = self._recheck_all(tasks)
        if in_event_loop():
            return wait_for(work)
        return asyncio.run(work)

    async def _recheck_all(self, tasks: Sequence[ValidationTask]) -> list[Problem]:
        found = await asyncio.gather(*(self._recheck_one(t) for t in tasks))
        return [p for p in found if p is not None]

    async def _recheck_one(self, task: ValidationTask) -> Problem | None:
        attempts: list[str] = []
        try:
            ctx = CheckContext(
                task=task,
                resolver=build_resolver(task, self._settings, attempts),
                step=self._settings.timeout,
                budget=self._settings.total_timeout,
                attempts=attempts,
            )
            await check_caa(ctx)
        except ChallengeError as exc:
            logger.info("CAA recheck of %s refused: %s", task.identifier.value, exc.problem.detail)
            return exc.problem
        return None

    async def validate(self, task: ValidationTask) -> ValidationResult:
        attempts: list[str] = []
        problem: Problem | None = None
        ctx: CheckContext | None = None
        try:
            checker = self._checkers.get(task.type)
            if checker is None:
                raise ChallengeError(
                    Problem(
                        ErrorKind.SERVER_INTERNAL,
                        f"The validation authority cannot check {task.type} challenges",
                    )
                )
            resolver = build_resolver(task, self._settings, attempts)
            ctx = CheckContext(
                task=task,
                resolver=resolver,
                step=self._settings.timeout,
                budget=self._settings.total_timeout,
                attempts=attempts,
            )
            await _check_with_caa(checker, ctx)
        except ChallengeError as exc:
            problem = exc.problem
        except Exception:
            # Anything else is our bug, not the client's: log the cause, hide the detail.
            logger.exception(
                "validation of challenge %s (%s %s) crashed",
                task.challenge_id,
                task.type,
                task.identifier.value,
            )
            problem = Problem(
                ErrorKind.SERVER_INTERNAL,
                "The validation authority failed unexpectedly; the cause is logged",
            )
        if problem is not None and problem.identifier is None:
            problem = dataclasses.replace(problem, identifier=problem_identifier(task))
        logger.info(
            "validated challenge %s (%s %s): %s",
            task.challenge_id,
            task.type,
            task.identifier.value,
            "valid" if problem is None else f"{problem.kind}: {problem.detail}",
            extra={
                "challenge_id": task.challenge_id,
                "challenge_type": str(task.type),
                "identifier": task.identifier.value,
                "problem_type": None if problem is None else str(problem.kind),
                "attempts": list(attempts),
            },
        )
        return ValidationResult(
            challenge_id=task.challenge_id,
            problem=problem,
            attempts=tuple(attempts),
            valid_until=ctx.valid_until if ctx is not None and problem is None else None,
        )

"""Who may give which revocation reason, and re-revocation (domain/revocation.py)."""

from __future__ import annotations

import pytest

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.revocation import (
    ADMINISTRATOR_REASONS,
    SUBSCRIBER_REASONS,
    administrator_reason_problem,
    check_key_compromise_claim,
    may_revoke_again,
    subscriber_reason,
)


def test_subscribers_may_give_the_baseline_requirements_reasons() -> None:
    assert SUBSCRIBER_REASONS == (0, 1, 3, 4, 5)
    assert [subscriber_reason(r) for r in SUBSCRIBER_REASONS] == [0, 1, 3, 4, 5]
    assert subscriber_reason(None) == 0


@pytest.mark.parametrize("reason", [2, 6, 7, 8, 9, 10, 11, -1, True, "1", 1.0])
def test_anything_else_from_a_subscriber_is_bad_revocation_reason(reason: object) -> None:
    with pytest.raises(DomainError) as caught:
        subscriber_reason(reason)
    assert caught.value.kind is ErrorKind.BAD_REVOCATION_REASON
    assert caught.value.detail == (
        "reason must be one of 0 (unspecified), 1 (keyCompromise), 3 (affiliationChanged), "
        "4 (superseded), 5 (cessationOfOperation): the reasons a subscriber may give "
        "(Baseline Requirements §7.2.2)"
    )


def test_key_compromise_needs_the_certificate_key() -> None:
    check_key_compromise_claim(1, proven=True)
    check_key_compromise_claim(4, proven=False)
    with pytest.raises(DomainError) as caught:
        check_key_compromise_claim(1, proven=False)
    assert caught.value.kind is ErrorKind.BAD_REVOCATION_REASON
    assert "sign the revocation request with the certificate's key" in caught.value.detail


def test_administrators_may_also_withdraw_privilege_but_never_remove_from_crl() -> None:
    assert ADMINISTRATOR_REASONS == (0, 1, 3, 4, 5, 9)
    assert all(administrator_reason_problem(r) is None for r in ADMINISTRATOR_REASONS)
    for code in (2, 6, 8, 10):
        problem = administrator_reason_problem(code)
        assert problem is not None
        assert "9 (privilegeWithdrawn)" in problem


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [(0, 1, True), (4, 1, True), (None, 1, True), (1, 1, False), (0, 4, False), (1, 0, False)],
)
def test_only_a_proven_move_to_key_compromise_revokes_again(
    current: int | None, new: int, allowed: bool
) -> None:
    assert may_revoke_again(current, new, proven=True) is allowed
    assert may_revoke_again(current, new, proven=False) is False

"""Which revocation reasons who may give, and when a revoked certificate may be revoked again,
as pure functions.

RFC 8555 §7.6 lets the server refuse reasons (``badRevocationReason``); the CA/Browser Forum
Baseline Requirements §4.9.1.1 and §7.2.2 say which RFC 5280 §5.3.1 CRLReasons a subscriber
certificate's revocation may carry, and Boulder (revocation/reasons.go) lets subscribers pick
the same ones:

* subscribers (revoke-cert, by account or by the certificate's key): 0 unspecified,
  1 keyCompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation. keyCompromise
  needs proof of the key, the request signed with the certificate's key, and then blocks the
  key (issue 15 §6). Boulder records an owner's keyCompromise signed with the account key
  without blocking; acmehub refuses it (``badRevocationReason`` saying how to prove the key),
  so a CRL's keyCompromise always means a key that was shown and is now refused;
* administrators (the API, the web interface, the CLI): those and 9 privilegeWithdrawn, the
  reason BR §7.2.2 keeps for the CA (a subscriber-side infraction).

Never: 2 cACompromise (CA certificates only), 6 certificateHold (BR §7.2.2: MUST NOT),
8 removeFromCRL (delta CRLs only), 10 aACompromise (attribute certificates).

A revoked certificate keeps its revocation, except that it may be moved to keyCompromise with
proof of the key, or by an administrator (BR §4.9.1.1 demands it once the key is known to be
compromised; Boulder re-revokes on a request signed by the certificate's key): its reason
changes, its revocation time stays, and its key is blocked.
"""

from __future__ import annotations

from typing import Final

from acmehub.domain.errors import DomainError, ErrorKind

#: RFC 5280 §5.3.1 CRLReason names (the spelling of its ASN.1 module), by code; 7 is unused.
REASON_NAMES: Final[dict[int, str]] = {
    0: "unspecified",
    1: "keyCompromise",
    2: "cACompromise",
    3: "affiliationChanged",
    4: "superseded",
    5: "cessationOfOperation",
    6: "certificateHold",
    8: "removeFromCRL",
    9: "privilegeWithdrawn",
    10: "aACompromise",
}
UNSPECIFIED: Final = 0
KEY_COMPROMISE: Final = 1
#: BR §4.9.1.1 / §7.2.2: what a subscriber may ask for.
SUBSCRIBER_REASONS: Final = (0, 1, 3, 4, 5)
#: BR §7.2.2: a subscriber's reasons, and privilegeWithdrawn, which only the CA gives.
ADMINISTRATOR_REASONS: Final = (0, 1, 3, 4, 5, 9)


def describe(reasons: tuple[int, ...]) -> str:
    """``0 (unspecified), 1 (keyCompromise), ...``."""
    return ", ".join(f"{code} ({REASON_NAMES[code]})" for code in reasons)


def subscriber_reason(reason: object) -> int:
    """The reason of a revoke-cert request (absent: 0); else ``badRevocationReason`` naming
    the reasons a subscriber may give (RFC 8555 §7.6)."""
    if reason is None:
        return UNSPECIFIED
    if isinstance(reason, int) and not isinstance(reason, bool) and reason in SUBSCRIBER_REASONS:
        return reason
    raise DomainError(
        ErrorKind.BAD_REVOCATION_REASON,
        f"reason must be one of {describe(SUBSCRIBER_REASONS)}: the reasons a subscriber may "
        "give (Baseline Requirements §7.2.2)",
    )


def check_key_compromise_claim(reason: int, *, proven: bool) -> None:
    """keyCompromise needs the request signed with the certificate's key (``proven``); else
    ``badRevocationReason`` saying so (RFC 8555 §7.6 lets the server refuse a reason)."""
    if reason == KEY_COMPROMISE and not proven:
        raise DomainError(
            ErrorKind.BAD_REVOCATION_REASON,
            "keyCompromise needs proof of the key: sign the revocation request with the "
            "certificate's key (a jwk request, RFC 8555 §7.6; certbot: revoke --key-path), "
            "or give another reason",
        )


def administrator_reason_problem(code: int) -> str | None:
    """Why an administrator may not give this reason, or None."""
    if code in ADMINISTRATOR_REASONS:
        return None
    return (
        f"reason must be one of {describe(ADMINISTRATOR_REASONS)} "
        "(Baseline Requirements §7.2.2; RFC 5280 §5.3.1)"
    )


def may_revoke_again(current_reason: int | None, new_reason: int, *, proven: bool) -> bool:
    """Whether a revoked certificate may be revoked again: only to move it to keyCompromise,
    with proof of the key or by an administrator (``proven``)."""
    return proven and new_reason == KEY_COMPROMISE and current_reason != KEY_COMPROMISE

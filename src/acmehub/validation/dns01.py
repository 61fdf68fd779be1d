"""The dns-01 checker (RFC 8555 §8.4).

The TXT records at ``_acme-challenge.{base name}`` (a wildcard's name without "*.") are looked
up through our resolver (:mod:`acmehub.validation.resolver`); one of them must equal
base64url(SHA-256(key authorization)) without padding. A record's character-strings are joined
before comparing (RFC 1035 §3.3.14 lets a long value span several strings).

Problem types (RFC 8555 §6.7), chosen after Boulder:

* ``unauthorized``: the name has no TXT record (NXDOMAIN or an empty answer). DNS worked; the
  client simply has not proved control, which is what ``unauthorized`` says. The detail tells
  NXDOMAIN and "no TXT record" apart.
* ``incorrectResponse``: TXT records exist but none matches; the detail says how many were found
  and quotes the first.
* ``dns``: the lookup itself failed (timeout, SERVFAIL, REFUSED, malformed answer).
"""

from __future__ import annotations

import base64
import hashlib

from acmehub.domain.errors import ErrorKind
from acmehub.validation.common import CheckContext, quote
from acmehub.validation.resolver import DnsFailure, DnsLookupError, dns_failure, lookup_txt
from acmehub.validation.settings import VaSettings


def expected_txt(key_authorization: str) -> str:
    """RFC 8555 §8.4: base64url(SHA-256(key authorization)), without padding."""
    digest = hashlib.sha256(key_authorization.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def challenge_name(base_name: str) -> str:
    """RFC 8555 §8.4: the validation domain name."""
    return f"_acme-challenge.{base_name}"


async def challenge_txt(ctx: CheckContext, name: str) -> list[str]:
    """The TXT values at a validation name, at least one: no record at all (NXDOMAIN or an
    empty answer) is ``unauthorized`` (DNS worked; control was not shown, as Boulder answers),
    a failed lookup ``dns``. Shared by the DNS-based checkers."""
    ctx.note(f"TXT {name}")
    try:
        values = await lookup_txt(ctx, name)
    except DnsLookupError as exc:
        ctx.note(f"TXT {name}: {exc.detail}")
        if exc.reason is DnsFailure.NXDOMAIN:
            raise ctx.fail(
                ErrorKind.UNAUTHORIZED, f"No TXT record found at {name} (NXDOMAIN)"
            ) from exc
        raise dns_failure(ctx.task, exc) from exc
    ctx.note(f"TXT {name}: {len(values)} record(s)")
    if not values:
        raise ctx.fail(ErrorKind.UNAUTHORIZED, f"No TXT record found at {name}")
    return values


class Dns01Checker:
    """Checks one dns-01 challenge; raises ChallengeError when it is not met."""

    def __init__(self, settings: VaSettings) -> None:
        self._settings = settings

    async def check(self, ctx: CheckContext) -> None:
        task = ctx.task
        if task.identifier.type != "dns":
            raise ctx.fail(ErrorKind.UNSUPPORTED_IDENTIFIER, "dns-01 validates DNS names only")
        name = challenge_name(task.identifier.base_name)
        values = await challenge_txt(ctx, name)
        # RFC 8555 §8.4: "one of the TXT records" must match.
        if expected_txt(task.key_authorization) in values:
            return
        if len(values) == 1:
            detail = f"Incorrect TXT record {quote(values[0])} found at {name}"
        else:
            detail = (
                f"None of the {len(values)} TXT records found at {name} matches this challenge"
                f" (the first is {quote(values[0])})"
            )
        raise ctx.fail(ErrorKind.INCORRECT_RESPONSE, detail)

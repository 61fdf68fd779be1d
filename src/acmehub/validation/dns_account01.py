"""The dns-account-01 checker (draft-ietf-acme-dns-account-label §3).

dns-01 (RFC 8555 §8.4) at a name scoped to the account: the TXT records at
``_<label>._acme-challenge.<base name>``, where the label is derived from the account URL
(:func:`acmehub.domain.dns_challenges.account_label`); one of them must equal
base64url(SHA-256(key authorization)).

An account answers at several URLs (both URL families, both prefixes: the task's
``account_uris``) and the client computes the label from the one it was given, so every one of
them is looked up, at the same time; one match suffices (Boulder likewise tries each of its
account URI prefixes). Problem types as for dns-01: ``unauthorized`` when no name has a TXT
record, ``incorrectResponse`` when records exist but none matches, ``dns`` when every lookup
failed.
"""

from __future__ import annotations

import asyncio

from acmehub.domain.dns_challenges import account_challenge_name
from acmehub.domain.errors import ErrorKind
from acmehub.validation.common import CheckContext, quote
from acmehub.validation.dns01 import expected_txt
from acmehub.validation.resolver import DnsFailure, DnsLookupError, dns_failure, lookup_txt
from acmehub.validation.settings import VaSettings


async def _lookup(ctx: CheckContext, name: str) -> list[str] | DnsLookupError:
    ctx.note(f"TXT {name}")
    try:
        values = await lookup_txt(ctx, name)
    except DnsLookupError as exc:
        ctx.note(f"TXT {name}: {exc.detail}")
        return exc
    ctx.note(f"TXT {name}: {len(values)} record(s)")
    return values


class DnsAccount01Checker:
    """Checks one dns-account-01 challenge; raises ChallengeError when it is not met."""

    def __init__(self, settings: VaSettings) -> None:
        self._settings = settings

    async def check(self, ctx: CheckContext) -> None:
        task = ctx.task
        if task.identifier.type != "dns":
            raise ctx.fail(
                ErrorKind.UNSUPPORTED_IDENTIFIER, "dns-account-01 validates DNS names only"
            )
        if not task.account_uris:
            raise ctx.fail(ErrorKind.SERVER_INTERNAL, "The account's URL is not known")
        names = list(
            dict.fromkeys(
                account_challenge_name(url, task.identifier.base_name) for url in task.account_uris
            )
        )
        found = await asyncio.gather(*(_lookup(ctx, name) for name in names))
        expected = expected_txt(task.key_authorization)
        answered: list[tuple[str, list[str]]] = []
        for name, result in zip(names, found, strict=True):
            if isinstance(result, list):
                if expected in result:
                    return
                if result:
                    answered.append((name, result))
        if answered:
            name, values = answered[0]
            raise ctx.fail(
                ErrorKind.INCORRECT_RESPONSE,
                f"Incorrect TXT record {quote(values[0])} found at {name}",
            )
        # Every lookup failed, none for want of the name: a DNS problem, not a missing record.
        failures = [r for r in found if isinstance(r, DnsLookupError)]
        if len(failures) == len(found) and all(
            f.reason is not DnsFailure.NXDOMAIN for f in failures
        ):
            raise dns_failure(task, failures[0])
        # The account's first URL is the one its ACME-profile family gave the client.
        others = f" (nor at the labels of the account's {len(names) - 1} other URLs)"
        raise ctx.fail(
            ErrorKind.UNAUTHORIZED,
            f"No TXT record found at {names[0]}{others if len(names) > 1 else ''}",
        )

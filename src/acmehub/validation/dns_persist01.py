"""The dns-persist-01 checker (draft-ietf-acme-dns-persist-01 §4; what Boulder and Let's
Encrypt implement).

The TXT records at ``_validation-persist.<base name>`` are read fresh at every validation
(§4.2). Each is an RFC 8659 §4.2 issue-value: ``<issuer-domain-name>; accounturi=<account URL>
[; policy=wildcard] [; persistUntil=<UNIX seconds>]``. A record counts when

* its issuer domain name is one of ours (the challenge's ``issuerDomainNames``: the task's
  ``caa_issuer_domains``); records naming another CA are skipped;
* its ``accounturi`` is one of the account's URLs, compared as strings (RFC 3986 §6.2.1);
* for a wildcard authorization, its ``policy`` is ``wildcard`` (case-insensitive, §4.1 item 4);
* its ``persistUntil``, if any, is not before the time the RA asked (§4.1 item 5).

Unknown parameters are ignored (§4.1 item 1); a repeated known one makes the record malformed.

Problem types, after Boulder: ``malformed`` when a record naming us does not follow the syntax
(and no record passes), ``unauthorized`` when records naming us refuse (another account, no
wildcard policy, expired) or none names us, ``dns`` when the lookup failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from acmehub.domain.dns_challenges import persist_challenge_name
from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ValidationTask
from acmehub.validation.caa_records import is_issuer_domain_name
from acmehub.validation.common import CheckContext, quote
from acmehub.validation.dns01 import challenge_txt
from acmehub.validation.settings import VaSettings

# RFC 8659 §4.2: tag = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)), value = *(%x21-3A / %x3C-7E)
_TAG = re.compile(r"[A-Za-z0-9](?:-*[A-Za-z0-9])*\Z")
_VALUE = re.compile(r"[\x21-\x3a\x3c-\x7e]*\Z")
_KNOWN = ("accounturi", "policy", "persistuntil")


class RecordSyntaxError(ValueError):
    """A record that does not follow the issue-value syntax of draft-ietf-acme-dns-persist."""


@dataclass(frozen=True)
class PersistRecord:
    issuer_domain: str  # lower case, no trailing dot
    account_uri: str
    policy: str = ""
    persist_until: datetime | None = None


def issuer_of(text: str) -> str:
    """The issuer-domain-name part of a record, normalised (lower case, no trailing dot)."""
    return text.partition(";")[0].strip(" \t").lower().rstrip(".")


def parse_record(text: str) -> PersistRecord:
    """One TXT value as a :class:`PersistRecord`; raises RecordSyntaxError saying why not."""
    issuer_part, _, rest = text.partition(";")
    issuer = issuer_of(text)
    if not issuer or not is_issuer_domain_name(issuer):
        raise RecordSyntaxError(f"malformed issuer-domain-name {quote(issuer_part.strip())}")
    seen: dict[str, str] = {}
    if rest.strip(" \t"):
        for item in rest.split(";"):
            tag, equals, value = (p.strip(" \t") for p in item.partition("="))
            if not equals or not _TAG.match(tag) or not _VALUE.match(value):
                raise RecordSyntaxError(f"malformed parameter {quote(item.strip())}")
            key = tag.lower()
            if key in _KNOWN and key in seen:
                raise RecordSyntaxError(f"duplicate parameter {tag!r}")
            seen[key] = value  # unknown tags are ignored (§4.1 item 1)
    account_uri = seen.get("accounturi", "")
    if not account_uri:
        raise RecordSyntaxError("missing mandatory accounturi parameter")
    until: datetime | None = None
    if "persistuntil" in seen:
        raw = seen["persistuntil"]
        if not raw.isdigit():
            raise RecordSyntaxError(f"malformed persistUntil timestamp {quote(raw)}")
        try:
            until = datetime.fromtimestamp(int(raw), UTC)
        except (OverflowError, ValueError, OSError):
            raise RecordSyntaxError(f"persistUntil {quote(raw)} is out of range") from None
    return PersistRecord(issuer, account_uri, seen.get("policy", ""), until)


def refusal(record: PersistRecord, task: ValidationTask) -> str | None:
    """Why ``record`` (naming us) does not authorize ``task``'s account, or None."""
    if record.account_uri not in task.account_uris:
        return f"its accounturi {quote(record.account_uri, 120)} is not this account's URL"
    if task.wildcard and record.policy.lower() != "wildcard":
        return "a wildcard needs policy=wildcard, and the record has none"
    until = record.persist_until
    if until is not None and (task.checked_at is None or task.checked_at > until):
        stamp = until.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"it expired at {stamp} (persistUntil)"
    return None


class DnsPersist01Checker:
    """Checks one dns-persist-01 challenge; raises ChallengeError when it is not met."""

    def __init__(self, settings: VaSettings) -> None:
        self._settings = settings

    async def check(self, ctx: CheckContext) -> None:
        task = ctx.task
        if task.identifier.type != "dns":
            raise ctx.fail(
                ErrorKind.UNSUPPORTED_IDENTIFIER, "dns-persist-01 validates DNS names only"
            )
        ours = {d.lower().rstrip(".") for d in task.caa_issuer_domains}
        if not ours:
            raise ctx.fail(
                ErrorKind.SERVER_INTERNAL, "No issuer domain name is configured for dns-persist-01"
            )
        name = persist_challenge_name(task.identifier.base_name)
        values = await challenge_txt(ctx, name)
        syntax: list[str] = []
        refused: list[str] = []
        for value in values:
            if issuer_of(value) not in ours:
                continue  # a record for another CA
            try:
                record = parse_record(value)
            except RecordSyntaxError as exc:
                syntax.append(f"the record {quote(value, 120)} at {name} is malformed: {exc}")
                continue
            why = refusal(record, task)
            if why is None:
                # §4.1 item 5: the authorization must not outlive persistUntil.
                ctx.valid_until = record.persist_until
                return
            refused.append(f"the record {quote(value, 120)} at {name} does not apply: {why}")
        if syntax:
            raise ctx.fail(ErrorKind.MALFORMED, "; ".join(syntax))
        if refused:
            raise ctx.fail(ErrorKind.UNAUTHORIZED, "; ".join(refused))
        raise ctx.fail(
            ErrorKind.UNAUTHORIZED,
            f"None of the {len(values)} TXT records at {name} names " + " or ".join(sorted(ours)),
        )

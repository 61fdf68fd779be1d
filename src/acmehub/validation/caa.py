"""The CAA check (RFC 8659, with RFC 8657's accounturi and validationmethods).

Run by the VA beside every challenge check (at the same time, so it adds no latency; Boulder
does the same) and again at finalize for authorizations validated too long ago.

* Tree climbing (RFC 8659 §3): CAA is asked at the name (a wildcard's base name), then at each
  parent, up to but not including the root; the first non-empty record set is the relevant
  one. NXDOMAIN or an empty answer at a label moves on to the parent.
* CNAMEs are followed by the resolver: an answer whose name is an alias holds the target's
  records, which are then the name's records (RFC 8659 §3: the climb goes on from the
  original name's parent, not the target's).
* A lookup that fails (SERVFAIL, timeout, REFUSED) refuses with type ``dns``: a CA must not
  treat a failure as "no records" (RFC 8659 §3, Baseline Requirements 3.2.2.8). With the
  profile's ``dnssec_required``, an answer without the AD bit refuses the same way.
* A record set that forbids us refuses with type ``caa`` (RFC 8555 §6.7), naming the name and
  the records.
"""

from __future__ import annotations

from dns.rdtypes.ANY.CAA import CAA

from acmehub.domain.errors import ErrorKind
from acmehub.validation.caa_records import CaaQuestion, CaaRecord, decide
from acmehub.validation.common import CheckContext
from acmehub.validation.resolver import DnsFailure, DnsLookupError, dns_failure, query


async def caa_records(ctx: CheckContext, name: str) -> list[CaaRecord]:
    """The CAA records at ``name`` ([] for NXDOMAIN or none); raises DnsLookupError."""
    ctx.note(f"CAA {name}")
    try:
        found = await query(ctx, name, "CAA", require_dnssec=ctx.task.dnssec_required)
    except DnsLookupError as exc:
        if exc.reason is DnsFailure.NXDOMAIN:
            return []
        ctx.note(f"CAA {name}: {exc.detail}")
        raise
    records = [
        CaaRecord(
            r.flags,
            r.tag.decode("ascii", errors="replace"),
            r.value.decode("utf-8", errors="replace"),
        )
        for r in found
        if isinstance(r, CAA)
    ]
    if records:
        ctx.note(f"CAA {name}: " + ", ".join(str(r) for r in records))
    return records


async def relevant_record_set(ctx: CheckContext, name: str) -> tuple[str, list[CaaRecord]]:
    """RFC 8659 §3: the first non-empty CAA record set climbing from ``name`` towards the root
    (the root excluded), and where it was found; ``(name, [])`` when there is none."""
    labels = name.rstrip(".").split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        records = await caa_records(ctx, candidate)
        if records:
            return candidate, records
    return name, []


async def check_caa(ctx: CheckContext) -> None:
    """Raise ChallengeError when CAA forbids issuing for the task's identifier to its account
    after its challenge type; return when CAA permits it (or the task does not ask)."""
    task = ctx.task
    if not task.caa_checking or task.identifier.type != "dns":
        return
    name = task.identifier.base_name
    try:
        where, records = await relevant_record_set(ctx, name)
    except DnsLookupError as exc:
        raise dns_failure(task, exc) from exc
    refusal = decide(
        records,
        CaaQuestion(
            issuer_domains=task.caa_issuer_domains,
            account_uris=task.account_uris,
            method=str(task.type),
            wildcard=task.wildcard or task.identifier.is_wildcard,
        ),
    )
    if refusal is None:
        return
    shown = ", ".join(str(r) for r in refusal.records[:3])
    if len(refusal.records) > 3:
        shown += f" (and {len(refusal.records) - 3} more)"
    raise ctx.fail(
        ErrorKind.CAA,
        f"CAA record for {where} prevents issuance: {shown} ({refusal.reason})",
    )

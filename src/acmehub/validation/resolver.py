"""DNS lookups for the VA through dnspython, never through the operating system.

Each task is resolved with the resolver of its ACME profile (``dns_resolver_ip``/``port``), else
the VA's configured fallback, else the system's resolver from /etc/resolv.conf. Names are always
absolute (no search list) and every query is bounded by ``VaSettings.timeout``. Lookups run
in the caller's event loop (dnspython's asyncio resolver); A and AAAA are asked at once.
"""

from __future__ import annotations

import asyncio
import ipaddress
from enum import StrEnum

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rdata
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.TXT import TXT
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.AAAA import AAAA

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ValidationTask
from acmehub.validation.common import ChallengeError, CheckContext, IPAddress, fail
from acmehub.validation.settings import VaSettings


class DnsFailure(StrEnum):
    NXDOMAIN = "nxdomain"
    NO_RECORDS = "no-records"
    TIMEOUT = "timeout"
    SERVFAIL = "servfail"
    #: The answer lacked the AD bit while the profile requires DNSSEC-validated answers.
    INSECURE = "insecure"
    ERROR = "error"


class DnsLookupError(Exception):
    """A lookup that produced no usable answer; ``detail`` is written for the ACME client."""

    def __init__(self, reason: DnsFailure, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def build_resolver(
    task: ValidationTask, settings: VaSettings, attempts: list[str]
) -> dns.asyncresolver.Resolver:
    """The resolver for ``task``; notes which one in ``attempts`` for the operator."""
    if task.dns_resolver_ip:
        address, port = task.dns_resolver_ip, task.dns_resolver_port or 53
    elif settings.resolver_ip:
        address, port = settings.resolver_ip, settings.resolver_port
    else:
        address, port = None, 53
    if address is None:
        try:
            resolver = dns.asyncresolver.Resolver(configure=True)  # /etc/resolv.conf
        except (dns.resolver.NoResolverConfiguration, OSError) as exc:
            raise fail(
                task, ErrorKind.SERVER_INTERNAL, "The validation authority has no DNS resolver"
            ) from exc
        attempts.append("resolver: system (" + ", ".join(map(str, resolver.nameservers)) + ")")
        resolver.search = []
        resolver.use_search_by_default = False
    else:
        try:
            ipaddress.ip_address(address)
        except ValueError as exc:
            raise fail(
                task,
                ErrorKind.SERVER_INTERNAL,
                "The validation authority's DNS resolver is misconfigured",
            ) from exc
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(address, port)]
        attempts.append(f"resolver: {address} port {port}")
    resolver.timeout = settings.timeout
    resolver.lifetime = settings.timeout
    resolver.cache = None  # every validation asks afresh
    resolver.retry_servfail = False  # SERVFAIL is an answer, report it at once
    if task.dnssec_required:
        # RFC 4035 §3.2.1 (DO: send DNSSEC records) and RFC 6840 §5.7 (AD in the query: tell
        # us whether you validated). A validating resolver answers a bogus name SERVFAIL.
        resolver.use_edns(0, dns.flags.DO, 1232)
        resolver.flags = dns.flags.RD | dns.flags.AD
    return resolver


def _check_validated(
    response: dns.message.Message | None, name: str, rdtype: str, require_dnssec: bool
) -> None:
    """With ``require_dnssec``, the answer must carry the AD bit (RFC 4035 §3.2.3)."""
    if not require_dnssec:
        return
    if response is None or not response.flags & dns.flags.AD:
        raise DnsLookupError(
            DnsFailure.INSECURE,
            f"the answer for {rdtype} {name} was not DNSSEC-validated (the resolver did not set"
            " the AD bit) and this profile requires DNSSEC",
        )


def _rcode_of(exc: dns.resolver.NoNameservers) -> str | None:
    """The rcode text (SERVFAIL, REFUSED, ...) a nameserver answered, if it answered one."""
    for error in exc.kwargs.get("errors", ()) or ():
        if isinstance(error[3], str):
            return error[3]
    return None


async def query(
    ctx: CheckContext, name: str, rdtype: str, *, require_dnssec: bool = False
) -> list[dns.rdata.Rdata]:
    """The records of ``rdtype`` at ``name`` ([] when the name exists without them); with
    ``require_dnssec``, only from an answer the resolver validated (NXDOMAIN included)."""
    try:
        qname = dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        raise DnsLookupError(DnsFailure.ERROR, f"{name!r} is not a valid DNS name ({exc})") from exc
    try:
        answer = await ctx.resolver.resolve(
            qname,
            dns.rdatatype.from_text(rdtype),
            search=False,
            raise_on_no_answer=False,
            lifetime=ctx.step_timeout(),
        )
    except dns.resolver.NXDOMAIN as exc:
        responses = list(exc.responses().values())  # type: ignore[no-untyped-call]
        _check_validated(responses[0] if responses else None, name, rdtype, require_dnssec)
        raise DnsLookupError(
            DnsFailure.NXDOMAIN, f"NXDOMAIN looking up {rdtype} for {name}"
        ) from exc
    except dns.exception.Timeout as exc:  # LifetimeTimeout included
        raise DnsLookupError(
            DnsFailure.TIMEOUT, f"query timed out looking up {rdtype} for {name}"
        ) from exc
    except dns.resolver.NoNameservers as exc:
        rcode = _rcode_of(exc)
        if rcode == "SERVFAIL":
            raise DnsLookupError(
                DnsFailure.SERVFAIL,
                f"SERVFAIL looking up {rdtype} for {name}"
                " - the domain's nameservers may be malfunctioning",
            ) from exc
        raise DnsLookupError(
            DnsFailure.ERROR,
            f"{rcode or 'no answer from the resolver'} looking up {rdtype} for {name}",
        ) from exc
    except dns.exception.DNSException as exc:
        raise DnsLookupError(
            DnsFailure.ERROR, f"{type(exc).__name__} looking up {rdtype} for {name}"
        ) from exc
    _check_validated(answer.response, name, rdtype, require_dnssec)
    if answer.rrset is None:
        return []
    return list(answer.rrset)


async def lookup_addresses(ctx: CheckContext, name: str) -> list[IPAddress]:
    """A and AAAA addresses of ``name`` (asked at once); fails only when neither lookup gives
    one."""
    addresses: list[IPAddress] = []
    errors: list[DnsLookupError] = []
    answers = await asyncio.gather(
        query(ctx, name, "A"), query(ctx, name, "AAAA"), return_exceptions=True
    )
    for answer in answers:
        if isinstance(answer, DnsLookupError):
            errors.append(answer)
            continue
        if isinstance(answer, BaseException):
            raise answer
        for record in answer:
            if isinstance(record, A | AAAA):
                addresses.append(ipaddress.ip_address(record.address))
    if addresses:
        return addresses
    if errors:
        raise errors[0]
    raise DnsLookupError(DnsFailure.NO_RECORDS, f"no A or AAAA records found for {name}")


async def lookup_txt(ctx: CheckContext, name: str) -> list[str]:
    """The TXT values at ``name``, each record's strings joined (RFC 1035 §3.3.14)."""
    values: list[str] = []
    for record in await query(ctx, name, "TXT", require_dnssec=ctx.task.dnssec_required):
        if isinstance(record, TXT):
            values.append(b"".join(record.strings).decode("utf-8", errors="replace"))
    return values


def dns_failure(task: ValidationTask, error: DnsLookupError) -> ChallengeError:
    """An RFC 8555 §6.7 ``dns`` problem for a failed lookup."""
    return fail(task, ErrorKind.DNS, f"DNS problem: {error.detail}")

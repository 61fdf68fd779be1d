"""CAA records (RFC 8659) and what they say about us: parsing and the decision, no I/O.

The lookup (tree climbing, CNAMEs, DNSSEC) lives in :mod:`acmehub.validation.caa`; this module
judges one relevant record set, so that every rule is testable without DNS:

* ``issuewild`` governs wildcard names when the set has any, else ``issue`` (RFC 8659 §4.3);
  ``issue`` governs every other name (§4.2). A set without either permits.
* An ``issue`` value names one issuer domain name, perhaps followed by parameters (§4.2); an
  empty name (``issue ";"``) names no CA, so it forbids everyone.
* RFC 8657: an ``accounturi`` parameter must be the account's URL, a ``validationmethods``
  parameter must list the challenge type used (§4, §5); other parameters are ignored.
* A record with the Issuer Critical flag (128) and a tag we do not understand forbids issuance
  (RFC 8659 §4.1); ``iodef`` is understood and ignored (we report nothing).
* Tags are matched without regard to case (RFC 8659 §4.1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

#: RFC 8659 §4.1: flag bit 0 (the most significant of the octet), Issuer Critical.
CRITICAL_FLAG = 128
#: Tags acmehub understands (RFC 8659 §4.2-§4.4).
KNOWN_TAGS = frozenset({"issue", "issuewild", "iodef"})

# RFC 8659 §4.2: label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT))
_LABEL = re.compile(r"[A-Za-z0-9](?:-*[A-Za-z0-9])*\Z")
# RFC 8659 §4.2: tag = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)), value = *(%x21-3A / %x3C-7E)
_PARAMETER = re.compile(
    r"(?P<tag>[A-Za-z0-9](?:-*[A-Za-z0-9])*)[ \t]*=[ \t]*(?P<value>[\x21-\x3a\x3c-\x7e]*)\Z"
)


@dataclass(frozen=True)
class CaaRecord:
    """One CAA resource record as found (RFC 8659 §4.1)."""

    flags: int
    tag: str
    value: str

    @property
    def critical(self) -> bool:
        return bool(self.flags & CRITICAL_FLAG)

    @property
    def property_name(self) -> str:
        """The tag, lower case: matching is case-insensitive (RFC 8659 §4.1)."""
        return self.tag.lower()

    def __str__(self) -> str:
        """Presentation format, as a zone file (and a client's operator) would write it."""
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.flags} {self.tag} "{escaped}"'


@dataclass(frozen=True)
class IssueValue:
    """A parsed ``issue``/``issuewild`` value: an issuer domain name ("" = none) and
    parameters (tags lower-cased)."""

    domain: str
    parameters: dict[str, str] = field(default_factory=dict)


def is_issuer_domain_name(text: str) -> bool:
    """RFC 8659 §4.2 issuer-domain-name: LDH labels joined by dots."""
    return bool(text) and len(text) <= 253 and all(_LABEL.match(p) for p in text.split("."))


def parse_issue_value(value: str) -> IssueValue | None:
    """RFC 8659 §4.2: ``*WSP [issuer-domain-name *WSP] [";" *WSP [parameters *WSP]]``.

    None when the value does not follow the grammar: such a record authorizes no one.
    """
    domain_part, semicolon, rest = value.partition(";")
    domain = domain_part.strip(" \t")
    if domain and not is_issuer_domain_name(domain):
        return None
    parameters: dict[str, str] = {}
    if semicolon:
        for item in rest.split(";"):
            item = item.strip(" \t")
            if not item:
                continue  # a trailing ";" (seen in the wild) is harmless
            found = _PARAMETER.match(item)
            if found is None:
                return None
            parameters[found["tag"].lower()] = found["value"]
    return IssueValue(domain.lower(), parameters)


@dataclass(frozen=True)
class CaaQuestion:
    """Who asks: our issuer domain names, the account's URLs, the challenge type used."""

    issuer_domains: tuple[str, ...]
    account_uris: tuple[str, ...]
    method: str
    wildcard: bool


@dataclass(frozen=True)
class CaaRefusal:
    """Why a record set forbids issuance: the records that decided, and a hint."""

    records: tuple[CaaRecord, ...]
    reason: str


def _parameters_refusal(parsed: IssueValue, question: CaaQuestion) -> str | None:
    """RFC 8657: what an ``accounturi``/``validationmethods`` parameter refuses, if anything."""
    account = parsed.parameters.get("accounturi")
    if account is not None and account not in question.account_uris:
        return "its accounturi names another account"
    methods = parsed.parameters.get("validationmethods")
    if methods is not None:
        allowed = [m.strip().lower() for m in methods.split(",")]
        if question.method.lower() not in allowed:
            return f"its validationmethods does not allow {question.method}"
    return None


def decide(records: Sequence[CaaRecord], question: CaaQuestion) -> CaaRefusal | None:
    """None when ``records`` (the relevant record set, RFC 8659 §3) let us issue."""
    critical = [r for r in records if r.critical and r.property_name not in KNOWN_TAGS]
    if critical:
        return CaaRefusal(tuple(critical), "it carries an unknown property marked critical")
    issue = [r for r in records if r.property_name == "issue"]
    issuewild = [r for r in records if r.property_name == "issuewild"]
    # RFC 8659 §4.3: issuewild, when present, takes precedence over issue for wildcards.
    governing = issuewild if question.wildcard and issuewild else issue
    if not governing:
        return None  # only iodef or other non-critical properties: no restriction
    ours = {d.lower().rstrip(".") for d in question.issuer_domains}
    hints: list[str] = []
    for record in governing:
        parsed = parse_issue_value(record.value)
        if parsed is None:
            hints.append("its value is malformed")
            continue
        if parsed.domain not in ours:
            continue
        why = _parameters_refusal(parsed, question)
        if why is None:
            return None
        hints.append(why)
    if not ours:
        reason = "this CA has no CAA issuer domain names configured"
    elif hints:
        reason = hints[0]
    else:
        reason = "no record names " + " or ".join(sorted(ours))
    return CaaRefusal(tuple(governing), reason)

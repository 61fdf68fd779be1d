"""The newer DNS challenge types: which ones an authorization offers, and the names and records
they use (pure functions; the checks live in acmehub.validation.dns_account01 and
acmehub.validation.dns_persist01).

* dns-account-01 (draft-ietf-acme-dns-account-label §3): dns-01's TXT value at a name scoped to
  the account, ``_<label>._acme-challenge.<name>``, so that several ACME clients (several
  accounts) can validate one name at the same time.
* dns-persist-01 (draft-ietf-acme-dns-persist §4): a standing TXT record at
  ``_validation-persist.<name>`` in RFC 8659 issue-value syntax naming one of the CA's issuer
  domain names and the account URL, optionally ``policy=wildcard`` and ``persistUntil``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime

from acmehub.domain.model import AcmeProfile, ChallengeType, Identifier, RaProfile
from acmehub.domain.model import caa_issuer_domains as _caa_issuer_domains

#: draft-ietf-acme-dns-persist §8.2: the label of the validation domain name.
PERSIST_LABEL = "_validation-persist"
#: draft-ietf-acme-dns-persist §3.1: at most 10 issuer domain names in a challenge.
MAX_ISSUER_DOMAIN_NAMES = 10


def account_label(account_url: str) -> str:
    """draft-ietf-acme-dns-account-label §3.2: ``"_" || base32(SHA-256(account URL)[0:10])``,
    lower case (DNS names compare without case; 10 bytes encode to 16 characters, no padding).
    """
    digest = hashlib.sha256(account_url.encode("utf-8")).digest()[:10]
    return "_" + base64.b32encode(digest).decode("ascii").lower()


def account_challenge_name(account_url: str, base_name: str) -> str:
    """draft-ietf-acme-dns-account-label §3.2: the validation domain name of ``base_name``."""
    return f"{account_label(account_url)}._acme-challenge.{base_name}"


def persist_challenge_name(base_name: str) -> str:
    """draft-ietf-acme-dns-persist §4: the validation domain name of ``base_name``."""
    return f"{PERSIST_LABEL}.{base_name}"


def persist_issuer_domains(acme: AcmeProfile, ra: RaProfile | None) -> tuple[str, ...]:
    """The issuer domain names a dns-persist-01 record may name (the challenge's and the
    directory's ``issuerDomainNames``): the CAA issuer domain names of the RA profile, else the
    ACME profile's caaIdentities. draft-ietf-acme-dns-persist §3.2 requires every one of them
    to be among the directory's caaIdentities; reusing that list makes them the same set.
    Lower case, no trailing dot, at most 10 (§3.1)."""
    names = _caa_issuer_domains(acme, ra) if ra is not None else acme.caa_identities
    normal = dict.fromkeys(n.lower().rstrip(".") for n in names if n)
    return tuple(normal)[:MAX_ISSUER_DOMAIN_NAMES]


def offered_challenge_types(
    identifier: Identifier, acme: AcmeProfile | None, ra: RaProfile | None
) -> tuple[ChallengeType, ...]:
    """The challenge types of a new authorization for ``identifier`` (a wildcard keeps "*.").

    RFC 8555 §7.1.3 / §8.3 / RFC 8737 §3: a wildcard is proven through DNS only. The newer DNS
    types come after the older ones, when the ACME profile offers them; dns-persist-01 only
    where an issuer domain name is configured (§3.1: the list must not be empty)."""
    if identifier.type == "ip":
        # RFC 8738 §7: an IP address has no DNS zone to prove; http-01 (§4), tls-alpn-01 (§6).
        return (ChallengeType.HTTP_01, ChallengeType.TLS_ALPN_01)
    if identifier.is_wildcard:
        types = [ChallengeType.DNS_01]
    else:
        types = [ChallengeType.HTTP_01, ChallengeType.DNS_01, ChallengeType.TLS_ALPN_01]
    if identifier.type != "dns" or acme is None:
        return tuple(types)
    if acme.offer_dns_account_01:
        types.append(ChallengeType.DNS_ACCOUNT_01)
    if acme.offer_dns_persist_01 and persist_issuer_domains(acme, ra):
        types.append(ChallengeType.DNS_PERSIST_01)
    return tuple(types)


def persist_record(
    issuer_domain: str,
    account_url: str,
    *,
    wildcard: bool = False,
    persist_until: datetime | None = None,
) -> str:
    """The TXT value an account publishes at ``_validation-persist.<name>``
    (draft-ietf-acme-dns-persist §4.1, RFC 8659 §4.2 issue-value)."""
    parts = [issuer_domain, f"accounturi={account_url}"]
    if wildcard:
        parts.append("policy=wildcard")
    if persist_until is not None:
        parts.append(f"persistUntil={int(persist_until.timestamp())}")
    return "; ".join(parts)


def persist_records(issuer_domains: Sequence[str], account_urls: Sequence[str]) -> list[str]:
    """Every record value that would let an account validate (for the account page)."""
    return [persist_record(d, u) for d in issuer_domains for u in account_urls]

"""What an account publishes for dns-persist-01 (draft-ietf-acme-dns-persist §4.1, §4.5): the
TXT record, shown on the account's page so that whoever runs the zone can pre-provision it.

The record names one of the issuer domain names of the account's RA profile
(:func:`acmehub.domain.dns_challenges.persist_issuer_domains`) and the account URL; the URL the
account registered through comes first, though the VA accepts any of the account's URLs.
"""

from __future__ import annotations

from dataclasses import dataclass

from acmehub.domain.dns_challenges import PERSIST_LABEL, persist_issuer_domains, persist_record
from acmehub.domain.model import Account
from acmehub.domain.ports import UnitOfWork
from acmehub.domain.urls import Urls
from acmehub.services.caa import account_uris


@dataclass(frozen=True)
class PersistGuide:
    """The record to publish at ``_validation-persist.<name>`` and its variants."""

    record_name: str
    record: str
    wildcard_record: str
    issuer_domains: tuple[str, ...]
    account_urls: tuple[str, ...]


def persist_guide(tx: UnitOfWork, urls: Urls, account: Account) -> PersistGuide | None:
    """None when the account's ACME profile does not offer dns-persist-01 (or names no issuer
    domain)."""
    acme = tx.profiles.acme_profile(account.acme_profile_uuid)
    # Accounts bound through the default RA profile follow it, as their orders do.
    ra_uuid = account.ra_profile_uuid
    if account.via_default_ra_profile and acme and acme.default_ra_profile_uuid:
        ra_uuid = acme.default_ra_profile_uuid
    ra = tx.profiles.ra_profile(ra_uuid)
    if acme is None or not acme.offer_dns_persist_01:
        return None
    issuers = persist_issuer_domains(acme, ra)
    if not issuers:
        return None
    found = account_uris(urls, account, acme, [ra] if ra is not None else [])
    # The family the account registered through first (the URL its client was given).
    mine = [u for u in found if ("/raProfile/" in u) != account.via_default_ra_profile]
    ordered = tuple(dict.fromkeys([*mine, *found]))
    return PersistGuide(
        record_name=f"{PERSIST_LABEL}.<your domain>",
        record=persist_record(issuers[0], ordered[0]),
        wildcard_record=persist_record(issuers[0], ordered[0], wildcard=True),
        issuer_domains=issuers,
        account_urls=ordered,
    )

"""ACME profiles: the commands that create and change one, and the view the API and the CLI
show (platform-reference.md, "ACME Profile fields"). A field added here appears in the API, its
OpenAPI document, the web form and the CLI's options without further code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from acmehub.domain.model import AcmeProfile, RaProfile, ValidationNetwork
from acmehub.domain.preauthorization import MAX_AUTHORIZATION_REUSE
from acmehub.services.commands.base import (
    ApiModel,
    Int,
    OneOf,
    UrlName,
    change_command,
    ui,
)
from acmehub.services.profile_rules import MAX_DESCRIPTION, MAX_URL

MAX_RETRY_INTERVAL = 86400
MAX_ORDER_VALIDITY = 30 * 86400
_DEFAULTS = AcmeProfile(uuid="", name="", enabled=False)

Url = Annotated[str, Field(max_length=MAX_URL, description="Absolute http or https URL")]
Attributes = Annotated[dict[str, Any], Field(description="Passed to the Authority")]
CaaIdentity = Annotated[str, Field(min_length=1, max_length=253)]
RetryInterval = Int(1, MAX_RETRY_INTERVAL)
Validity = Int(1, MAX_ORDER_VALIDITY)
Port = Int(1, 65535)
AuthzReuse = Int(0, MAX_AUTHORIZATION_REUSE)
#: RFC 9773 §4.3.1: how soon clients ask for renewal information again (0: at their next run).
RenewalRetryAfter = Int(0, MAX_RETRY_INTERVAL)
NETWORKS = tuple(str(n) for n in ValidationNetwork)

_PROFILE = "Profile"
_CLIENTS = "What clients must do"
_TIMING = "Validation and timing"
_ATTRS = "Attributes passed to the Authority"
_PREAUTH = "Pre-authorization and reuse"


@dataclass(frozen=True)
class AcmeProfileView:
    profile: AcmeProfile
    #: The default RA profile (ACME-profile URL family), if set and present.
    default_ra_profile: RaProfile | None
    #: RA profiles with this ACME profile activated (RA-profile URL family).
    activated_on: tuple[RaProfile, ...]


class CertificateAssociations(ApiModel):
    """Applied to every certificate issued through the profile (stored on the certificate)."""

    owner_uuid: str | None = Field(default=None, max_length=200)
    group_uuids: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100
    )
    custom_attributes: dict[str, Any] = Field(default_factory=dict)


class AcmeProfileFields(ApiModel):
    """The settable fields, in the web form's order (``ui`` groups them into fieldsets)."""

    description: str = Field(
        default="",
        max_length=MAX_DESCRIPTION,
        title="Description",
        json_schema_extra=ui(group=_PROFILE, widget="textarea"),
    )
    ra_profile_uuid: str | None = Field(
        default=None,
        max_length=36,
        title="Default RA profile",
        description="The default RA profile (accounts bound through the default follow it)",
        json_schema_extra=ui(
            group=_PROFILE,
            widget="select",
            options="ra_profiles",
            cli="ra-profile",
            help="Issues the certificates of this profile's /acme/NAME/ directory. Accounts "
            "bound through the default follow it when it changes.",
        ),
    )
    require_contact: bool = Field(
        default=False,
        title="Require a contact on new accounts",
        json_schema_extra=ui(group=_CLIENTS),
    )
    require_terms_of_service: bool = Field(
        default=False,
        title="Require agreement to the terms of service",
        json_schema_extra=ui(group=_CLIENTS, cli="require-tos"),
    )
    require_external_account_binding: bool = Field(
        default=False,
        title="Require external account binding (EAB)",
        description="Directory meta.externalAccountRequired (RFC 8555 §7.3.4)",
        json_schema_extra=ui(group=_CLIENTS, cli="require-eab"),
    )
    terms_of_service_url: Url | None = Field(
        default=None,
        title="Terms of service URL",
        description="Directory meta.termsOfService",
        json_schema_extra=ui(group=_CLIENTS, widget="url", cli="tos-url"),
    )
    website_url: Url | None = Field(
        default=None,
        title="Website URL",
        description="Directory meta.website",
        json_schema_extra=ui(group=_CLIENTS, widget="url"),
    )
    caa_identities: list[CaaIdentity] = Field(
        default_factory=list,
        max_length=20,
        title="CAA identities",
        description="Directory meta.caaIdentities (RFC 8555 §7.1.1); the issuer domain names"
        " CAA records must name, unless the RA profile has its own caaIssuerDomains",
        json_schema_extra=ui(group=_CLIENTS, widget="lines", cli="caa-identity"),
    )
    terms_of_service_change_disable: bool = Field(
        default=False,
        title="Terms have changed: refuse new orders until accounts agree again",
        description="New orders are refused until the account agrees to the terms again",
        json_schema_extra=ui(group=_CLIENTS, cli="tos-change-disable"),
    )
    terms_of_service_change_url: Url | None = Field(
        default=None,
        title="Changed terms URL",
        json_schema_extra=ui(group=_CLIENTS, widget="url", cli="tos-change-url"),
    )
    dns_resolver_ip: str | None = Field(
        default=None,
        max_length=45,
        title="DNS resolver IP address",
        description="Resolver for validations; null: the system's",
        json_schema_extra=ui(
            group=_TIMING, help="For this profile's validations; empty: the system's resolver."
        ),
    )
    dns_resolver_port: Port | None = Field(  # type: ignore[valid-type]
        default=None, title="DNS resolver port", json_schema_extra=ui(group=_TIMING)
    )
    validation_network: OneOf(*NETWORKS) = Field(  # type: ignore[valid-type]
        default=str(_DEFAULTS.validation_network),
        title="Validation network",
        description="Addresses http-01 and tls-alpn-01 may connect to: internal (private "
        "ranges allowed) or public (every special-purpose range refused, as Let's Encrypt)",
        json_schema_extra=ui(
            group=_TIMING,
            widget="select",
            choices=NETWORKS,
            help="internal: validations may reach private addresses (10/8, 172.16/12, "
            "192.168/16, 100.64/10, fc00::/7), for hosts of your own network. public: only "
            "globally reachable addresses. Loopback, link-local and the like are refused "
            "either way.",
        ),
    )
    caa_checking: bool = Field(
        default=_DEFAULTS.caa_checking,
        title="Check CAA records",
        description="RFC 8659 CAA checked before an authorization becomes valid and at finalize",
        json_schema_extra=ui(
            group=_TIMING,
            help="Turn off only for internal zones that have no public DNS.",
        ),
    )
    dnssec_required: bool = Field(
        default=_DEFAULTS.dnssec_required,
        title="Require DNSSEC-validated CAA and dns-01 answers",
        description="CAA and dns-01 answers must carry the resolver's AD bit",
        json_schema_extra=ui(
            group=_TIMING,
            help="The resolver must validate DNSSEC (Baseline Requirements, ballot SC-085v2).",
        ),
    )
    offer_dns_account_01: bool = Field(
        default=_DEFAULTS.offer_dns_account_01,
        title="Offer dns-account-01",
        description="draft-ietf-acme-dns-account-label: dns-01 at a TXT name scoped to the "
        "account, so several ACME clients can validate one name at once",
        json_schema_extra=ui(
            group=_TIMING,
            help="The record goes to _<account label>._acme-challenge.<name>. See "
            "docs/dns-challenges.md.",
        ),
    )
    offer_dns_persist_01: bool = Field(
        default=_DEFAULTS.offer_dns_persist_01,
        title="Offer dns-persist-01",
        description="draft-ietf-acme-dns-persist: a standing _validation-persist TXT record "
        "naming an issuer domain name (the RA profile's CAA issuer domain names, else "
        "caaIdentities) and the account URL",
        json_schema_extra=ui(
            group=_TIMING,
            help="Offered only where an issuer domain name is configured (caaIdentities or "
            "the RA profile's CAA issuer domain names).",
        ),
    )
    renewal_info: bool = Field(
        default=_DEFAULTS.renewal_info,
        title="Offer renewal information (ARI)",
        description="RFC 9773: the directory's renewalInfo and new-order's replaces",
        json_schema_extra=ui(group=_CLIENTS, help="Clients such as certbot renew when told."),
    )
    renewal_info_retry_after: RenewalRetryAfter = Field(  # type: ignore[valid-type]
        default=_DEFAULTS.renewal_info_retry_after,
        title="Renewal information Retry-After (seconds)",
        description="How soon clients ask for renewal information again (RFC 9773 §4.3)",
        json_schema_extra=ui(group=_CLIENTS, cli="renewal-retry-after"),
    )
    retry_interval: RetryInterval = Field(  # type: ignore[valid-type]
        default=_DEFAULTS.retry_interval,
        title="Retry interval (seconds)",
        description="Seconds, sent as Retry-After",
        json_schema_extra=ui(group=_TIMING, help="Sent to clients as Retry-After."),
    )
    validity: Validity = Field(  # type: ignore[valid-type]
        default=_DEFAULTS.validity,
        title="Order validity (seconds)",
        description="Order and authorization lifetime, seconds",
        json_schema_extra=ui(group=_TIMING, help="How long orders and authorizations stay valid."),
    )
    new_authz_enabled: bool = Field(
        default=_DEFAULTS.new_authz_enabled,
        title="Offer pre-authorization (newAuthz)",
        description="RFC 8555 §7.4.1 newAuthz in the directory: authorizations before orders",
        json_schema_extra=ui(
            group=_PREAUTH,
            cli="new-authz",
            help="Clients may prove control of a name before they order; a later order for "
            "it is ready without new challenges.",
        ),
    )
    subdomain_auth_allowed: bool = Field(
        default=_DEFAULTS.subdomain_auth_allowed,
        title="Offer subdomain authorizations (RFC 9444)",
        description="newAuthz accepts subdomainAuthAllowed (needs newAuthzEnabled): a dns-01 "
        "proof for a domain then covers every name below it",
        json_schema_extra=ui(
            group=_PREAUTH,
            cli="subdomain-auth",
            help="Directory meta.subdomainAuthAllowed. Proven by dns-01 only; every name "
            "below the domain then needs no challenge of its own.",
        ),
    )
    authorization_reuse: AuthzReuse = Field(  # type: ignore[valid-type]
        default=_DEFAULTS.authorization_reuse,
        title="Authorization reuse (seconds)",
        description="How long after its validation a valid authorization serves the account's "
        "new orders; 0: every order gets fresh authorizations. Never beyond what the Baseline "
        "Requirements allow on the day (SC-081v3: 200 days from 2026-03-15, 100 from "
        "2027-03-15, 10 from 2029-03-15)",
        json_schema_extra=ui(
            group=_PREAUTH,
            help="Let's Encrypt reuses for up to 30 days (2592000). 0 turns reuse off.",
        ),
    )
    issue_certificate_attributes: Attributes = Field(
        default_factory=dict,
        title="Issue certificate attributes (JSON object)",
        json_schema_extra=ui(group=_ATTRS, widget="json", cli="issue-attributes"),
    )
    revoke_certificate_attributes: Attributes = Field(
        default_factory=dict,
        title="Revoke certificate attributes (JSON object)",
        json_schema_extra=ui(group=_ATTRS, widget="json", cli="revoke-attributes"),
    )
    custom_attributes: dict[str, Any] = Field(
        default_factory=dict,
        title="Custom attributes (JSON object)",
        json_schema_extra=ui(group=_ATTRS, widget="json"),
    )
    certificate_associations: CertificateAssociations | None = Field(
        default=None,
        title="Certificate associations (JSON object)",
        description='{"ownerUuid", "groupUuids", "customAttributes"}',
        json_schema_extra=ui(group=_ATTRS, widget="json", cli="associations"),
    )

    def values(self, *, only_set: bool) -> dict[str, Any]:
        """The AcmeProfile fields this command sets (all, or only the ones it carries)."""
        names = self.model_fields_set if only_set else type(self).model_fields.keys()
        values: dict[str, Any] = {}
        for name in names:
            if name in ("name", "enabled") and name not in self.model_fields_set:
                continue
            value = getattr(self, name)
            if name == "certificate_associations":
                value = (
                    value.model_dump(by_alias=True, exclude_unset=True) if value is not None else {}
                )
            elif name == "caa_identities":
                value = tuple(value)
            elif name == "validation_network":
                value = ValidationNetwork(value)
            values[DOMAIN_NAMES.get(name, name)] = value
        values.pop("name", None)
        return values


#: Command field -> AcmeProfile field, where they differ.
DOMAIN_NAMES = {"ra_profile_uuid": "default_ra_profile_uuid"}


def command_names(values: dict[str, Any]) -> dict[str, Any]:
    """AcmeProfile field names -> the commands' (for code that speaks in domain terms)."""
    back = {v: k for k, v in DOMAIN_NAMES.items()}
    return {back.get(k, k): v for k, v in values.items()}


class AcmeProfileRequest(AcmeProfileFields):
    """Create an ACME profile (POST /acmeProfiles). Absent fields take the defaults."""

    name: UrlName("ACME Profile") = Field(  # type: ignore[valid-type]
        description='Unique; not "raProfile"',
        title="Name",
        json_schema_extra=ui(
            group=_PROFILE,
            order=0,
            help="Appears in the directory URL: letters, digits and - . _ ~. It cannot be "
            "changed later.",
        ),
    )
    enabled: bool = Field(
        default=False,
        title="Enable the profile now",
        description="New profiles start disabled",
        json_schema_extra=ui(
            group=_PROFILE,
            order=3,
            cli="enable",
            flag=True,
            help="New profiles start disabled: clients are refused until it is enabled.",
        ),
    )


@change_command
class AcmeProfileUpdate(AcmeProfileFields):
    """Change an ACME profile (PUT): a field left out keeps its value; null clears a nullable
    one."""

"""Renewal information (RFC 9773): the mass-renewal command an administrator gives after an
incident (a key compromise, a misissuance) and the views of a certificate's renewal window and
chain of renewals, shown by the API, the web interface and the CLI."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from acmehub.domain.renewal_info import RenewalWindow
from acmehub.services.commands.base import ApiModel, ui
from acmehub.services.profile_rules import MAX_URL


class RenewalScopeKind(StrEnum):
    CERTIFICATE = "certificate"
    ACCOUNT = "account"
    RA_PROFILE = "raProfile"
    AUTHORITY = "authority"


SCOPES = tuple(k.value for k in RenewalScopeKind)
Url = Annotated[str, Field(max_length=MAX_URL, description="Absolute http or https URL")]


class RenewEarlyRequest(ApiModel):
    """Move the renewal window (RFC 9773) of every valid certificate in a scope into the past:
    clients that ask for renewal information renew at once."""

    scope: RenewalScopeKind = Field(
        title="Scope",
        description="certificate, account, raProfile or authority",
        json_schema_extra=ui(widget="select", choices=SCOPES, order=0),
    )
    target: str = Field(
        min_length=1,
        max_length=200,
        title="Which one",
        description="A certificate id or serial; an account UUID or protocol id; an RA "
        "profile's or an authority's name or UUID",
        json_schema_extra=ui(order=1),
    )
    explanation_url: Url | None = Field(
        default=None,
        title="Explanation URL",
        description="renewalInfo explanationURL: a page that says why (RFC 9773 §4.2)",
        json_schema_extra=ui(widget="url", order=2),
    )


class RenewEarlyResult(ApiModel):
    scope: RenewalScopeKind
    target_uuid: str = Field(description="The certificate id, account UUID, profile UUID...")
    target_name: str = Field(description="What people call it (serial, account id, name)")
    moved: int = Field(description="Certificates whose window now lies in the past")
    moved_at: datetime = Field(description="The end of their suggested window")
    explanation_url: str | None


class SuggestedWindow(ApiModel):
    start: datetime
    end: datetime
    explanation_url: str | None = None
    reason: str = Field(description="default (last third of the lifetime), moved or revoked")

    @classmethod
    def of(cls, window: RenewalWindow) -> SuggestedWindow:
        return cls(
            start=window.start,
            end=window.end,
            explanation_url=window.explanation_url,
            reason=window.reason,
        )


class Renewal(ApiModel):
    """An order that names this certificate in ``replaces``, and what it produced."""

    order_id: str
    status: str
    certificate_id: str | None


class RenewalInfo(ApiModel):
    """A certificate's ARI identity, its suggested window and its place in a renewal chain."""

    cert_id: str = Field(description="The RFC 9773 certID: base64url(AKI).base64url(serial)")
    suggested_window: SuggestedWindow
    replaces: str | None = Field(
        default=None, description="The certificate this one's order replaced (its id)"
    )
    replaced_by: list[Renewal] = Field(default_factory=list)

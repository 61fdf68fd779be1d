"""The typed commands the admin front-ends share: a field declared once in a command appears in
the REST API's OpenAPI document, the web form and the CLI's options, and its refusals are the
same field errors everywhere."""

from __future__ import annotations

import argparse

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import Field

from acmehub.cli_admin.options import add_options
from acmehub.cli_admin.options import command_of as cli_command
from acmehub.domain.errors import DomainError
from acmehub.management.actions import Action, install
from acmehub.services.commands.acme_profiles import AcmeProfileRequest, AcmeProfileUpdate
from acmehub.services.commands.base import change_command, parse, ui
from acmehub.webui.forms import command_of as form_command
from acmehub.webui.forms import fieldsets
from acmehub.webui.framework import Form


class WithPreAuthorization(AcmeProfileRequest):
    """A field a later issue adds to ACME profiles (newAuthz, RFC 8555 §7.4.1), declared once."""

    pre_authorization: bool = Field(
        default=False,
        title="Allow pre-authorization (newAuthz)",
        description="Clients may ask for an authorization before ordering (RFC 8555 §7.4.1)",
        json_schema_extra=ui(group="What clients must do"),
    )


@change_command
class ChangeWithPreAuthorization(WithPreAuthorization):
    pass


def test_a_new_field_appears_in_the_openapi_document() -> None:
    router = APIRouter()
    install(
        router,
        [
            Action(
                "POST",
                "/acmeProfiles",
                "Create",
                lambda s, a, args: None,
                name="create",
                body=WithPreAuthorization,
            )
        ],
    )
    app = FastAPI()
    app.include_router(router)
    schema = app.openapi()["components"]["schemas"]["WithPreAuthorization"]
    member = schema["properties"]["preAuthorization"]
    assert member["type"] == "boolean"
    assert "RFC 8555 §7.4.1" in member["description"]


def test_a_new_field_appears_in_the_web_form_and_is_read_from_it() -> None:
    inputs = {i.name: i for s in fieldsets(WithPreAuthorization) for i in s.inputs}
    assert inputs["preAuthorization"].widget == "checkbox"
    assert inputs["preAuthorization"].label == "Allow pre-authorization (newAuthz)"
    form = Form(
        [("name", "shop"), ("retryInterval", "5"), ("validity", "60"), ("preAuthorization", "on")]
    )
    command = form_command(WithPreAuthorization, form)
    assert command.pre_authorization is True
    assert command.values(only_set=False)["pre_authorization"] is True


def test_a_new_field_is_a_cli_option() -> None:
    parser = argparse.ArgumentParser()
    add_options(parser, WithPreAuthorization, skip=("name",))
    args = parser.parse_args(["--pre-authorization", "yes", "--retry-interval", "9"])
    command = cli_command(WithPreAuthorization, args, extra={"name": "shop"})
    assert command.pre_authorization is True
    assert command.retry_interval == 9
    assert "--pre-authorization" in parser.format_help()


def test_a_change_command_sets_only_what_it_carries() -> None:
    change = parse(ChangeWithPreAuthorization, {"preAuthorization": True})
    assert change.values(only_set=True) == {"pre_authorization": True}
    with pytest.raises(DomainError) as refused:
        parse(AcmeProfileUpdate, {"retryInterval": None})
    assert [e.field for e in refused.value.errors] == ["retryInterval"]


@pytest.mark.parametrize(
    ("data", "field", "code", "message"),
    [
        ({"retryInterval": 0}, "retryInterval", "int_range", "retryInterval must be an integer"),
        ({"retryInterval": "5"}, "retryInterval", "int_parsing", "retryInterval must be"),
        ({"name": "a b"}, "name", "url_name", "name: the ACME Profile name must be"),
        ({"caaIdentities": [""]}, "caaIdentities.0", "string_too_short", "caaIdentities.0: "),
    ],
)
def test_refusals_name_their_field_with_a_code_and_a_message(
    data: dict[str, object], field: str, code: str, message: str
) -> None:
    with pytest.raises(DomainError) as refused:
        parse(AcmeProfileRequest, {"name": "shop", **data})
    (error,) = refused.value.errors
    assert (error.field, error.code) == (field, code)
    assert error.message.startswith(message)
    assert refused.value.status == 422


def test_text_with_a_nul_character_is_refused_anywhere_in_a_command() -> None:
    """PostgreSQL cannot store NUL: a field error, not a server error (found by schemathesis)."""
    for data in (
        {"name": "shop", "description": "a\x00b"},
        {"name": "shop", "caaIdentities": ["ca.example\x00"]},
        {"name": "shop", "customAttributes": {"k\x00": "v"}},
    ):
        with pytest.raises(DomainError) as refused:
            parse(AcmeProfileRequest, data)
        (error,) = refused.value.errors
        assert error.code == "nul"
        assert "NUL" in error.message


def test_protocol_ids_never_read_as_a_command_line_option() -> None:
    """Order, certificate and EAB key ids are typed on the CLI (`acmehub order show ID`)."""
    from acmehub.services.deps import new_id

    ids = [new_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids)

"""RA Profiles & Authorities: the Authorities (list, detail with the CA chain and CRL, create
by generating or importing, enable/disable, delete) and their RA profiles (list, create/edit
with the issuance policy, detail with the ACME activation row, enable/disable, delete).

Every rule is the services' (services/authorities.py, services/ra_profiles.py); this module
reads forms, calls them with ``req.actor`` and shows their refusals next to the fields.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import IssuancePolicy, RaProfile
from acmehub.services.authorities import KEY_TYPES, ImportedCa
from acmehub.webui.framework import PREFIX, Flash, PageRoute, Req, field_errors
from acmehub.webui.paging import PageRequest, keep_query, paginate

INDEX = f"{PREFIX}/ra-profiles"
AUTHORITIES = f"{PREFIX}/authorities"
CHAIN_TYPE = "application/pem-certificate-chain"
POLICY_KEY_TYPES = ("rsa", "ec-p256", "ec-p384")
EKUS = ("serverAuth", "clientAuth")
_DEFAULT_RA = RaProfile(uuid="", name="", authority_uuid="", enabled=True)


def crl_url(req: Req, authority_uuid: str) -> str:
    """The Authority's CRL (protocol/links.py CRL_PATH)."""
    return f"{req.ui.base_url}/crl/{authority_uuid}.crl"


def _refusal(exc: DomainError, fields: tuple[str, ...]) -> tuple[dict[str, str], str]:
    if exc.kind is ErrorKind.CONFLICT:
        return {"name": exc.detail}, ""
    if exc.kind is not ErrorKind.INVALID_INPUT:
        raise exc
    return field_errors(exc, fields)


# --------------------------------------------------------------------------- index


def index(req: Req) -> Response:
    query = req.request.query_params
    search = query.get("q", "").strip().lower()
    authority = query.get("authority", "")
    authorities = req.services.authorities.list_all(req.actor)
    views = req.services.ra_profiles.list_all(req.actor)
    rows = [
        v
        for v in views
        if (not search or search in f"{v.profile.name}\n{v.profile.description}".lower())
        and (not authority or v.profile.authority_uuid == authority)
    ]
    paged = paginate(
        rows, PageRequest.from_query(query), INDEX, keep_query(query, "q", "authority")
    )
    return req.render(
        "authorities/index.html",
        authorities=authorities,
        paged=paged,
        filters={"q": query.get("q", ""), "authority": authority},
        authority_options=[("", "Any")]
        + [(a.authority.uuid, a.authority.name) for a in authorities],
    )


# --------------------------------------------------------------------------- authorities


def authority_detail(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    return req.render(
        "authorities/detail.html",
        view=view,
        a=view.authority,
        crl=crl_url(req, view.authority.uuid),
    )


def chain_download(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    if view.certificate is None:
        raise DomainError(ErrorKind.NOT_FOUND, view.problem or "no CA chain", status=404)
    return Response(
        view.certificate.chain_pem,
        media_type=CHAIN_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{view.authority.name}-chain.pem"'},
    )


AUTHORITY_FIELDS = ("name", "keyType", "certPem", "keyPem", "chainPem", "passphrase")


def _authority_form(
    req: Req,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    return req.render(
        "authorities/form.html",
        status=status,
        values=values,
        errors=errors or {},
        error=error,
        key_types=[(k, k) for k in KEY_TYPES],
    )


def authority_new(req: Req) -> Response:
    mode = "import" if req.param("mode") == "import" else "generate"
    return _authority_form(req, {"mode": mode, "keyType": KEY_TYPES[0]})


def authority_create(req: Req) -> Response:
    form = req.form
    values = {name: form.get(name) for name in AUTHORITY_FIELDS}
    values["name"] = values["name"].strip()
    values["mode"] = "import" if form.get("mode") == "import" else "generate"
    service = req.services.authorities
    try:
        if values["mode"] == "import":
            missing = {
                f: f"{f} is required to import a CA"
                for f in ("certPem", "keyPem")
                if not values[f].strip()
            }
            if missing:
                values["passphrase"] = ""
                return _authority_form(req, values, missing, status=422)
            ca = ImportedCa(
                cert_pem=values["certPem"],
                key_pem=values["keyPem"],
                chain_pem=values["chainPem"],
                passphrase=values["passphrase"].encode() if values["passphrase"] else None,
            )
            view = service.import_embedded(req.actor, values["name"], ca)
        else:
            view = service.create_embedded(req.actor, values["name"], values["keyType"])
    except DomainError as exc:
        errors, error = _refusal(exc, AUTHORITY_FIELDS)
        values["passphrase"] = ""  # never sent back to the browser
        status = 409 if exc.kind is ErrorKind.CONFLICT else 422
        return _authority_form(req, values, errors, error, status=status)
    a = view.authority
    return req.redirect(f"{AUTHORITIES}/{a.uuid}", Flash("success", f"Authority {a.name} created."))


def authority_switch(req: Req) -> Response:
    uuid = req.path_param("uuid")
    enable = req.request.url.path.endswith("/enable")
    service = req.services.authorities
    target = f"{AUTHORITIES}/{uuid}"
    try:
        a = (service.enable if enable else service.disable)(req.actor, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(target, Flash("error", exc.detail))
    word = "enabled" if enable else "disabled"
    return req.redirect(target, Flash("success", f"Authority {a.name} {word}."))


def authority_delete_page(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    return req.render(
        "authorities/delete.html",
        kind="Authority",
        name=view.authority.name,
        action=f"{AUTHORITIES}/{view.authority.uuid}/delete",
        back=f"{AUTHORITIES}/{view.authority.uuid}",
        blockers=[r.name for r in view.ra_profiles],
    )


def authority_delete(req: Req) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.authorities.get(req.actor, uuid)
    try:
        req.services.authorities.delete(req.actor, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(f"{AUTHORITIES}/{uuid}", Flash("error", exc.detail))
    return req.redirect(INDEX, Flash("success", f"Authority {view.authority.name} deleted."))


# --------------------------------------------------------------------------- RA profiles

RA_FIELDS = (
    "name",
    "description",
    "validityDefault",
    "validityMax",
    "issuancePolicy.allowedIdentifiers",
    "issuancePolicy.deniedIdentifiers",
    "issuancePolicy.allowWildcards",
    "issuancePolicy.maxNames",
    "issuancePolicy.allowedKeyTypes",
    "issuancePolicy.minRsaBits",
    "issuancePolicy.extendedKeyUsages",
)


def _ra_values_of(profile: RaProfile) -> dict[str, Any]:
    p = profile.policy
    return {
        "name": profile.name,
        "description": profile.description,
        "validityDefault": str(profile.validity_default),
        "validityMax": str(profile.validity_max),
        "issuancePolicy.allowedIdentifiers": "\n".join(p.allowed_identifiers),
        "issuancePolicy.deniedIdentifiers": "\n".join(p.denied_identifiers),
        "issuancePolicy.allowWildcards": p.allow_wildcards,
        "issuancePolicy.maxNames": str(p.max_names),
        "issuancePolicy.minRsaBits": str(p.min_rsa_bits),
        "keyTypes": list(p.allowed_key_types),
        "ekus": list(p.extended_key_usages),
        "enabled": profile.enabled,
    }


def _ra_values_from_form(req: Req) -> dict[str, Any]:
    form = req.form
    values: dict[str, Any] = {
        name: form.get(name).strip()
        for name in (
            "name",
            "description",
            "validityDefault",
            "validityMax",
            "issuancePolicy.maxNames",
            "issuancePolicy.minRsaBits",
        )
    }
    for name in ("issuancePolicy.allowedIdentifiers", "issuancePolicy.deniedIdentifiers"):
        values[name] = form.get(name)
    values["issuancePolicy.allowWildcards"] = form.has("issuancePolicy.allowWildcards")
    values["keyTypes"] = form.get_all("keyTypes")
    values["ekus"] = form.get_all("ekus")
    values["enabled"] = form.has("enabled")
    return values


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _ra_changes(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name in (
        "validityDefault",
        "validityMax",
        "issuancePolicy.maxNames",
        "issuancePolicy.minRsaBits",
    ):
        text = values[name]
        if text.lstrip("-").isdigit():
            numbers[name] = int(text)
        else:
            errors[name] = f"{name} must be a whole number"
    if errors:
        return {}, errors
    policy = IssuancePolicy(
        allowed_identifiers=_lines(values["issuancePolicy.allowedIdentifiers"]),
        denied_identifiers=_lines(values["issuancePolicy.deniedIdentifiers"]),
        allow_wildcards=values["issuancePolicy.allowWildcards"],
        max_names=numbers["issuancePolicy.maxNames"],
        allowed_key_types=tuple(values["keyTypes"]),
        min_rsa_bits=numbers["issuancePolicy.minRsaBits"],
        extended_key_usages=tuple(values["ekus"]),
    )
    changes = {
        "description": values["description"],
        "validity_default": numbers["validityDefault"],
        "validity_max": numbers["validityMax"],
        "policy": policy,
    }
    return changes, errors


def _ra_form(
    req: Req,
    *,
    authority: Any,
    profile: RaProfile | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    # Errors about the key type / EKU checkboxes are shown next to their group.
    return req.render(
        "authorities/ra_form.html",
        status=status,
        authority=authority,
        profile=profile,
        values=values,
        errors=errors or {},
        error=error,
        key_types=POLICY_KEY_TYPES,
        ekus=EKUS,
    )


def ra_new(req: Req) -> Response:
    view = req.services.authorities.get(req.actor, req.path_param("uuid"))
    return _ra_form(req, authority=view.authority, profile=None, values=_ra_values_of(_DEFAULT_RA))


def ra_create(req: Req) -> Response:
    authority = req.services.authorities.get(req.actor, req.path_param("uuid")).authority
    values = _ra_values_from_form(req)
    changes, errors = _ra_changes(values)
    if errors:
        return _ra_form(
            req, authority=authority, profile=None, values=values, errors=errors, status=422
        )
    try:
        profile = req.services.ra_profiles.create(
            req.actor, authority.uuid, values["name"], enabled=values["enabled"], **changes
        )
    except DomainError as exc:
        errors, error = _refusal(exc, RA_FIELDS)
        return _ra_form(
            req,
            authority=authority,
            profile=None,
            values=values,
            errors=errors,
            error=error,
            status=422,
        )
    return req.redirect(
        f"{INDEX}/{profile.uuid}", Flash("success", f"RA profile {profile.name} created.")
    )


def ra_detail(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))
    acme_profiles = req.services.acme_profiles.list_all(req.actor)
    p = view.profile
    values = {
        "acmeProfileUuid": p.acme_profile_uuid or "",
        "issueCertificateAttributes": json.dumps(p.acme_issue_attributes, indent=2)
        if p.acme_issue_attributes
        else "",
        "revokeCertificateAttributes": json.dumps(p.acme_revoke_attributes, indent=2)
        if p.acme_revoke_attributes
        else "",
    }
    return _ra_detail(req, view, acme_profiles, values)


def _ra_detail(
    req: Req,
    view: Any,
    acme_profiles: Any,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    return req.render(
        "authorities/ra_detail.html",
        status=status,
        view=view,
        p=view.profile,
        values=values,
        errors=errors or {},
        error=error,
        acme_options=[(a.profile.uuid, a.profile.name) for a in acme_profiles],
    )


ACTIVATION_FIELDS = ("acmeProfileUuid", "issueCertificateAttributes", "revokeCertificateAttributes")


def ra_activate(req: Req) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.ra_profiles.get(req.actor, uuid)
    values = {name: req.form.get(name) for name in ACTIVATION_FIELDS}
    errors: dict[str, str] = {}
    parsed: dict[str, dict[str, Any]] = {}
    for name in ACTIVATION_FIELDS[1:]:
        text = values[name].strip()
        try:
            value = json.loads(text) if text else {}
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            parsed[name] = value
        else:
            errors[name] = f'{name} must be a JSON object, e.g. {{"key": "value"}}'
    if not values["acmeProfileUuid"]:
        errors["acmeProfileUuid"] = "acmeProfileUuid: choose an ACME profile"
    error = ""
    if not errors:
        try:
            done = req.services.ra_profiles.activate_acme(
                req.actor,
                uuid,
                values["acmeProfileUuid"],
                parsed["issueCertificateAttributes"],
                parsed["revokeCertificateAttributes"],
            )
        except DomainError as exc:
            if exc.kind is ErrorKind.NOT_FOUND:  # the RA profile was found above
                errors = {"acmeProfileUuid": exc.detail}
            else:
                errors, error = _refusal(exc, ACTIVATION_FIELDS)
        else:
            name = done.acme_profile.name if done.acme_profile else ""
            return req.redirect(
                f"{INDEX}/{uuid}",
                Flash("success", f"ACME profile {name} activated on {view.profile.name}."),
            )
    acme_profiles = req.services.acme_profiles.list_all(req.actor)
    return _ra_detail(req, view, acme_profiles, values, errors, error, status=422)


def ra_deactivate(req: Req) -> Response:
    uuid = req.path_param("uuid")
    try:
        profile = req.services.ra_profiles.deactivate_acme(req.actor, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(f"{INDEX}/{uuid}", Flash("error", exc.detail))
    return req.redirect(f"{INDEX}/{uuid}", Flash("success", f"ACME deactivated on {profile.name}."))


def ra_edit(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))
    return _ra_form(
        req, authority=view.authority, profile=view.profile, values=_ra_values_of(view.profile)
    )


def ra_update(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))
    current = view.profile
    values = {**_ra_values_from_form(req), "name": current.name, "enabled": current.enabled}
    changes, errors = _ra_changes(values)
    if errors:
        return _ra_form(
            req, authority=view.authority, profile=current, values=values, errors=errors, status=422
        )
    try:
        profile = req.services.ra_profiles.update(req.actor, current.uuid, **changes)
    except DomainError as exc:
        errors, error = _refusal(exc, RA_FIELDS)
        return _ra_form(
            req,
            authority=view.authority,
            profile=current,
            values=values,
            errors=errors,
            error=error,
            status=422,
        )
    return req.redirect(
        f"{INDEX}/{profile.uuid}", Flash("success", f"RA profile {profile.name} saved.")
    )


def ra_switch(req: Req) -> Response:
    uuid = req.path_param("uuid")
    enable = req.request.url.path.endswith("/enable")
    service = req.services.ra_profiles
    try:
        profile = (service.enable if enable else service.disable)(req.actor, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(f"{INDEX}/{uuid}", Flash("error", exc.detail))
    word = "enabled" if enable else "disabled"
    return req.redirect(f"{INDEX}/{uuid}", Flash("success", f"RA profile {profile.name} {word}."))


def ra_delete_page(req: Req) -> Response:
    view = req.services.ra_profiles.get(req.actor, req.path_param("uuid"))
    return req.render(
        "authorities/delete.html",
        kind="RA profile",
        name=view.profile.name,
        action=f"{INDEX}/{view.profile.uuid}/delete",
        back=f"{INDEX}/{view.profile.uuid}",
        blockers=[],
    )


def ra_delete(req: Req) -> Response:
    uuid = req.path_param("uuid")
    view = req.services.ra_profiles.get(req.actor, uuid)
    try:
        req.services.ra_profiles.delete(req.actor, uuid)
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        return req.redirect(f"{INDEX}/{uuid}", Flash("error", exc.detail))
    return req.redirect(
        f"{AUTHORITIES}/{view.authority.uuid}",
        Flash("success", f"RA profile {view.profile.name} deleted."),
    )


ROUTES = [
    PageRoute("/ra-profiles", index, name="ra_profiles"),
    PageRoute("/authorities", lambda req: req.redirect(INDEX), name="authorities"),
    PageRoute("/authorities/new", authority_new, name="authority_new"),
    PageRoute("/authorities/new", authority_create, methods=("POST",), name="authority_create"),
    PageRoute("/authorities/{uuid}", authority_detail, name="authority"),
    PageRoute("/authorities/{uuid}/chain.pem", chain_download, name="authority_chain"),
    PageRoute(
        "/authorities/{uuid}/enable", authority_switch, methods=("POST",), name="authority_on"
    ),
    PageRoute(
        "/authorities/{uuid}/disable", authority_switch, methods=("POST",), name="authority_off"
    ),
    PageRoute("/authorities/{uuid}/delete", authority_delete_page, name="authority_delete_page"),
    PageRoute(
        "/authorities/{uuid}/delete", authority_delete, methods=("POST",), name="authority_delete"
    ),
    PageRoute("/authorities/{uuid}/ra-profiles/new", ra_new, name="ra_profile_new"),
    PageRoute(
        "/authorities/{uuid}/ra-profiles/new",
        ra_create,
        methods=("POST",),
        name="ra_profile_create",
    ),
    PageRoute("/ra-profiles/{uuid}", ra_detail, name="ra_profile"),
    PageRoute("/ra-profiles/{uuid}/edit", ra_edit, name="ra_profile_edit"),
    PageRoute("/ra-profiles/{uuid}/edit", ra_update, methods=("POST",), name="ra_profile_update"),
    PageRoute("/ra-profiles/{uuid}/enable", ra_switch, methods=("POST",), name="ra_profile_on"),
    PageRoute("/ra-profiles/{uuid}/disable", ra_switch, methods=("POST",), name="ra_profile_off"),
    PageRoute("/ra-profiles/{uuid}/delete", ra_delete_page, name="ra_profile_delete_page"),
    PageRoute("/ra-profiles/{uuid}/delete", ra_delete, methods=("POST",), name="ra_profile_delete"),
    PageRoute(
        "/ra-profiles/{uuid}/acme/activate",
        ra_activate,
        methods=("POST",),
        name="ra_profile_activate",
    ),
    PageRoute(
        "/ra-profiles/{uuid}/acme/deactivate",
        ra_deactivate,
        methods=("POST",),
        name="ra_profile_deactivate",
    ),
]

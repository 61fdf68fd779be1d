"""`acmehub eab ...`: external account binding keys of an ACME profile (services/eab.py)."""

from __future__ import annotations

import argparse
import base64
from datetime import timedelta

from acmehub.cli_admin.base import (
    Admin,
    SubParsers,
    acme_profile_ref,
    json_flag,
    parse_time,
    run,
)
from acmehub.domain.ports import Page
from acmehub.management.routers.eab import EabKeyInfo, EabKeyPage
from acmehub.services.eab import NewEabKey


def register(sub: SubParsers) -> None:
    eab = sub.add_parser("eab", help="external account binding (EAB) keys of ACME profiles")
    actions = eab.add_subparsers(dest="action", required=True)
    as_json = json_flag()

    create = actions.add_parser(
        "create", parents=[as_json], help="create a key; its secret is printed this once"
    )
    create.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    create.add_argument("--algorithm", choices=["HS256", "HS384", "HS512"], default="HS256")
    create.add_argument(
        "--reusable", action="store_true", help="admit many accounts (default: one)"
    )
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument("--expires-at", type=parse_time, help="ISO 8601 (UTC if no zone)")
    expiry.add_argument("--valid-for", type=int, metavar="SECONDS")
    create.add_argument("--description", default="")
    create.set_defaults(func=run(_create))

    listing = actions.add_parser("list", parents=[as_json], help="list a profile's keys")
    listing.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=run(_list))

    for action, text in (("show", "a key (never its secret)"), ("revoke", "revoke a key")):
        command = actions.add_parser(action, parents=[as_json], help=text)
        command.add_argument("acme_profile", metavar="acme-profile", help="name or UUID")
        command.add_argument("key_id", metavar="key-id")
        command.set_defaults(func=run(_show if action == "show" else _revoke))


def _create(admin: Admin, args: argparse.Namespace) -> None:
    profile = acme_profile_ref(admin, args.acme_profile)
    spec = NewEabKey(
        algorithm=args.algorithm,
        reusable=args.reusable,
        expires_at=args.expires_at,
        valid_for=timedelta(seconds=args.valid_for) if args.valid_for is not None else None,
        description=args.description,
    )
    created = admin.services.eab.create(admin.actor, profile, spec)
    key = created.key
    secret = base64.urlsafe_b64encode(created.secret).rstrip(b"=").decode("ascii")
    directory = admin.services.deps.urls.directory(created.profile.name)
    if admin.json:
        info = EabKeyInfo.of(key, key.created_at).model_dump(mode="json", by_alias=True)
        admin.emit({**info, "hmacKey": secret, "directoryUrl": directory})
        return
    admin.note("the HMAC key is shown this once: keep it now")
    admin.say(f"keyId      {key.key_id}")
    admin.say(f"hmacKey    {secret}")
    admin.say(f"algorithm  {key.algorithm}")
    admin.say(f"directory  {directory}")
    admin.say(
        f"certbot    --server {directory} --eab-kid {key.key_id} --eab-hmac-key {secret}"
        + (f" --eab-hmac-alg {key.algorithm}" if key.algorithm != "HS256" else "")
    )


def _list(admin: Admin, args: argparse.Namespace) -> None:
    profile = acme_profile_ref(admin, args.acme_profile)
    found = admin.services.eab.list(admin.actor, profile, Page(args.offset, args.limit + 1))
    now = admin.services.eab.now()
    items = [EabKeyInfo.of(k, now) for k in found[: args.limit]]
    if admin.json:
        admin.emit(
            EabKeyPage(
                items=items, offset=args.offset, limit=args.limit, has_more=len(found) > args.limit
            )
        )
        return
    admin.table(
        [
            (
                k.key_id,
                k.algorithm,
                k.state.value,
                k.reusable,
                k.used_count,
                k.created_at,
                k.expires_at,
                k.description,
            )
            for k in items
        ],
        ("KEY ID", "ALG", "STATE", "REUSABLE", "USED", "CREATED", "EXPIRES", "DESCRIPTION"),
    )


def _show(admin: Admin, args: argparse.Namespace) -> None:
    profile = acme_profile_ref(admin, args.acme_profile)
    key = admin.services.eab.get(admin.actor, profile, args.key_id)
    info = EabKeyInfo.of(key, admin.services.eab.now())
    if admin.json:
        admin.emit(info)
        return
    admin.details(info)


def _revoke(admin: Admin, args: argparse.Namespace) -> None:
    profile = acme_profile_ref(admin, args.acme_profile)
    key = admin.services.eab.revoke(admin.actor, profile, args.key_id)
    if admin.json:
        admin.emit(EabKeyInfo.of(key, admin.services.eab.now()))
        return
    admin.say(f"revoked EAB key {key.key_id}")

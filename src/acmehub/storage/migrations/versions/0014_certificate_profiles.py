"""Certificate profiles (draft-ietf-acme-profiles): the table, the order's chosen profile, and
a default profile for every RA profile that exists.

Revision ID: 0014
Revises: 0017

Each existing RA profile gets one certificate profile, "default", made only of fallbacks (no
validity, no extended key usages, no names cap of its own: the RA profile's apply; a CRL
distribution point and a CN as before), so that what it issues does not change. Orders made
before keep a NULL profile and are issued as before.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0017"
branch_labels = None
depends_on = None

_DESCRIPTION = "The certificates this RA profile issued before certificate profiles existed"


def upgrade() -> None:
    table = op.create_table(
        "certificate_profiles",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("ra_profile_uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("validity", sa.Integer(), nullable=True),
        sa.Column("crl_distribution_point", sa.Boolean(), nullable=False),
        sa.Column("extended_key_usages", sa.JSON(), nullable=False),
        sa.Column("common_name", sa.Boolean(), nullable=False),
        sa.Column("max_names", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ra_profile_uuid"],
            ["ra_profiles.uuid"],
            name=op.f("fk_certificate_profiles_ra_profile_uuid_ra_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_certificate_profiles")),
        sa.UniqueConstraint(
            "ra_profile_uuid", "name", name="uq_certificate_profiles_ra_profile_name"
        ),
    )
    op.create_index(
        op.f("ix_certificate_profiles_ra_profile_uuid"),
        "certificate_profiles",
        ["ra_profile_uuid"],
        unique=False,
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("profile", sa.String(length=64), nullable=True))
    ra_profiles = op.get_bind().execute(sa.text("SELECT uuid FROM ra_profiles")).fetchall()
    rows = [
        {
            "uuid": str(uuid.uuid4()),
            "ra_profile_uuid": row[0],
            "name": "default",
            "description": _DESCRIPTION,
            "is_default": True,
            "validity": None,
            "crl_distribution_point": True,
            "extended_key_usages": [],
            "common_name": True,
            "max_names": None,
        }
        for row in ra_profiles
    ]
    if rows:
        op.bulk_insert(table, rows)
    # The ACME request contexts other processes cached must read the profiles anew.
    op.execute(sa.text("UPDATE change_counters SET value = value + 1 WHERE name = 'profiles'"))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("profile")
    op.drop_index(op.f("ix_certificate_profiles_ra_profile_uuid"), "certificate_profiles")
    op.drop_table("certificate_profiles")

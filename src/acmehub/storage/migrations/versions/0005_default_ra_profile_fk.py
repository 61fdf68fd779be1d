"""The default-RA-profile foreign key on PostgreSQL.

0001 declared it with use_alter (acme_profiles and ra_profiles refer to each other), which
Alembic's create_table leaves out on PostgreSQL; SQLite got it inline. Add it where missing.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NAME = "fk_acme_profiles_default_ra_profile_uuid_ra_profiles"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    foreign_keys = sa.inspect(bind).get_foreign_keys("acme_profiles")
    if not any(fk["referred_table"] == "ra_profiles" for fk in foreign_keys):
        op.create_foreign_key(
            NAME, "acme_profiles", "ra_profiles", ["default_ra_profile_uuid"], ["uuid"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(NAME, "acme_profiles", type_="foreignkey")

"""ACME profiles: offer dns-account-01 and dns-persist-01 (issue 16 §5).

Revision ID: 0017
Revises: 0012

Both are off for existing profiles, as for new ones. dns-persist-01's issuer domain names are
the RA profiles' CAA issuer domain names (their issuance policy, JSON) or the ACME profile's
caaIdentities: no column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acme_profiles") as batch:
        batch.add_column(
            sa.Column(
                "offer_dns_account_01", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch.add_column(
            sa.Column(
                "offer_dns_persist_01", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("acme_profiles") as batch:
        batch.drop_column("offer_dns_persist_01")
        batch.drop_column("offer_dns_account_01")

"""ACME profiles: CAA checking (RFC 8659) and DNSSEC-validated CAA and dns-01 lookups.

Revision ID: 0011
Revises: 0010

Existing profiles check CAA from now on (the default, as a CA must) and do not require DNSSEC.
The RA profiles' CAA issuer domain names live in their issuance policy (JSON): no column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acme_profiles") as batch:
        batch.add_column(
            sa.Column("caa_checking", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(
            sa.Column("dnssec_required", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("acme_profiles") as batch:
        batch.drop_column("dnssec_required")
        batch.drop_column("caa_checking")

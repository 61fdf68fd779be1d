"""ACME profiles: where their validations may connect (issue 15, the address policy).

Revision ID: 0010
Revises: 0009

Profiles made before this migration get "internal" (private ranges allowed), the default.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acme_profiles") as batch:
        batch.add_column(
            sa.Column(
                "validation_network",
                sa.String(length=16),
                nullable=False,
                server_default="internal",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("acme_profiles") as batch:
        batch.drop_column("validation_network")

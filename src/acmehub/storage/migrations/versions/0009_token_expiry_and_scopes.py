"""API tokens: an expiry and optional scopes narrower than the role.

Revision ID: 0009
Revises: 0008

Tokens made before this migration keep working as before: no expiry, no scopes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import acmehub.storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("expires_at", acmehub.storage.types.UtcDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("scopes", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scopes")
        batch.drop_column("expires_at")

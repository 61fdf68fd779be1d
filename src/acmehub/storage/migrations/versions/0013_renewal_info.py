"""ACME Renewal Information (RFC 9773): the ACME profiles' switch and Retry-After, the order's
``replaces`` and the administrator's moved renewal window on certificates.

Revision ID: 0013
Revises: 0016 (after the other migrations of issue 16; the number was given beforehand)

Existing profiles offer renewal information from now on (Retry-After six hours, as Boulder);
existing certificates keep their default window.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import acmehub.storage.types

revision = "0013"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acme_profiles") as batch:
        batch.add_column(
            sa.Column("renewal_info", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(
            sa.Column(
                "renewal_info_retry_after", sa.Integer(), server_default="21600", nullable=False
            )
        )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("replaces", sa.String(length=200), nullable=True))
        batch.create_index(batch.f("ix_orders_replaces"), ["replaces"], unique=False)
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(
            sa.Column("renewal_moved_at", acmehub.storage.types.UtcDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("renewal_explanation_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("renewal_explanation_url")
        batch.drop_column("renewal_moved_at")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index(batch.f("ix_orders_replaces"))
        batch.drop_column("replaces")
    with op.batch_alter_table("acme_profiles") as batch:
        batch.drop_column("renewal_info_retry_after")
        batch.drop_column("renewal_info")

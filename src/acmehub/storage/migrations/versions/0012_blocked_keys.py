"""Blocked keys: keys of certificates revoked for keyCompromise, refused as account keys and in
CSRs afterwards (by SHA-256 of their SubjectPublicKeyInfo).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import acmehub.storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocked_keys",
        sa.Column("spki_sha256", sa.String(length=64), nullable=False),
        sa.Column("blocked_at", acmehub.storage.types.UtcDateTime(), nullable=False),
        sa.Column("blocked_by", sa.String(length=200), nullable=False),
        sa.Column("certificate_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("spki_sha256", name=op.f("pk_blocked_keys")),
    )


def downgrade() -> None:
    op.drop_table("blocked_keys")

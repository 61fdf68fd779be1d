"""Authority key material: CA keys in the database, sealed under the deployment's KEK.

Revision ID: 0007
Revises: 0006

Adds ``authorities.key_material`` (JSON, NULL for none). Authorities whose keys are in files
keep their config; set-up (`acmehub init` / `acmehub migrate`) moves their keys in when it has
the key-encryption key, which this migration does not (acmehub/setup_state.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("authorities") as batch:
        batch.add_column(sa.Column("key_material", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authorities") as batch:
        batch.drop_column("key_material")

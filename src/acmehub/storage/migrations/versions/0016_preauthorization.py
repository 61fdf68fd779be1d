"""Pre-authorization (newAuthz, RFC 8555 §7.4.1), subdomain authorizations (RFC 9444) and
authorization reuse.

Revision ID: 0016
Revises: 0014

ACME profiles: ``new_authz_enabled`` and ``subdomain_auth_allowed`` (off), and
``authorization_reuse`` (seconds, 0: each order gets fresh authorizations, as before).
Authorizations: ``order_id`` may be NULL (a pre-authorization belongs to no order), RFC 9444's
``subdomain_auth_allowed``, and the ACME and RA profile they were made through (NULL on the
rows that exist: their order names the profiles).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acme_profiles") as batch:
        batch.add_column(
            sa.Column("new_authz_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column(
                "subdomain_auth_allowed", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch.add_column(
            sa.Column("authorization_reuse", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("authorizations") as batch:
        batch.alter_column("order_id", existing_type=sa.String(64), nullable=True)
        batch.add_column(
            sa.Column(
                "subdomain_auth_allowed", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch.add_column(sa.Column("acme_profile_uuid", sa.String(36), nullable=True))
        batch.add_column(sa.Column("ra_profile_uuid", sa.String(36), nullable=True))


def downgrade() -> None:
    # Pre-authorizations have no order to belong to: they go.
    op.execute(
        "DELETE FROM challenges WHERE authorization_id IN "
        "(SELECT id FROM authorizations WHERE order_id IS NULL)"
    )
    op.execute("DELETE FROM authorizations WHERE order_id IS NULL")
    with op.batch_alter_table("authorizations") as batch:
        batch.drop_column("ra_profile_uuid")
        batch.drop_column("acme_profile_uuid")
        batch.drop_column("subdomain_auth_allowed")
        batch.alter_column("order_id", existing_type=sa.String(64), nullable=False)
    with op.batch_alter_table("acme_profiles") as batch:
        batch.drop_column("authorization_reuse")
        batch.drop_column("subdomain_auth_allowed")
        batch.drop_column("new_authz_enabled")

"""Requests for a password-reset link wait in a table of their own until a worker answers
them, so that asking costs the same whether or not the address has an account.

Revision ID: 0017_password_reset_requests
Revises: 0016_notification_claim_id
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_password_reset_requests"
down_revision = "0016_notification_claim_id"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_reset_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("password_reset_request")

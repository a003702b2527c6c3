"""A notification's claim is a fencing token: the random id of the batch that holds it, which
every "sent", "failed attempt", "voided" and "released" mark must match, so that a worker whose
lease lapsed cannot overwrite what another worker did with the row since.

Revision ID: 0016_notification_claim_id
Revises: 0015_protocol_numbers
Create Date: 2026-12-07 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_notification_claim_id"
down_revision = "0015_protocol_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notification", sa.Column("claim_id", sa.String(length=32), nullable=True))
    op.create_index("ix_notification_claim_id", "notification", ["claim_id"])


def downgrade() -> None:
    op.drop_index("ix_notification_claim_id", table_name="notification")
    op.drop_column("notification", "claim_id")

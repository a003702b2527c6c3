"""When the scheduler next looks at a district's daily digest (``district.digest_due_at``,
indexed): a tick reads the districts due instead of every district. NULL, as every district
starts, means at once.

Revision ID: 0023_district_digest_due
Revises: 0022_oversight_accounts
Create Date: 2026-12-07 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_district_digest_due"
down_revision = "0022_oversight_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("district") as batch:
        batch.add_column(sa.Column("digest_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_district_digest_due_at", ["digest_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("district") as batch:
        batch.drop_index("ix_district_digest_due_at")
        batch.drop_column("digest_due_at")

"""Accounts above the districts: a regional viewer sees its region's figures
(``user_account.region_id``), a deployment administrator makes regions and districts; neither
belongs to an agency (``user_account.agency_id`` may be NULL). A check keeps each account in
exactly its place: a district's staff in an agency, a regional viewer in a region.

Revision ID: 0022_oversight_accounts
Revises: 0021_notification_district
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_oversight_accounts"
down_revision = "0021_notification_district"
branch_labels = None
depends_on = None

_PLACE = (
    "(role IN ('regional', 'deployment')) = (agency_id IS NULL)"
    " AND (role = 'regional') = (region_id IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("user_account_region_id_fkey", "region", ["region_id"], ["id"])
        batch.create_index("ix_user_account_region_id", ["region_id"], unique=False)
        batch.alter_column("agency_id", existing_type=sa.Integer(), nullable=True)
        batch.create_check_constraint("ck_user_account_place", _PLACE)


def downgrade() -> None:
    bind = op.get_bind()
    above = bind.execute(
        sa.text("SELECT COUNT(*) FROM user_account WHERE agency_id IS NULL")
    ).scalar_one()
    if above:
        raise RuntimeError(
            f"{above} accounts work above the districts (regional viewers, deployment"
            " administrators); remove them before going back to a schema without them"
        )
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint("ck_user_account_place", type_="check")
        batch.alter_column("agency_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_index("ix_user_account_region_id")
        batch.drop_constraint("user_account_region_id_fkey", type_="foreignkey")
        batch.drop_column("region_id")

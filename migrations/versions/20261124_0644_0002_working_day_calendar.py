"""Add the district's working hours and its decree overrides of the working-day calendar.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:44:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("district", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("day_starts", sa.Time(), nullable=False, server_default="09:00:00")
        )
        batch_op.add_column(
            sa.Column("day_ends", sa.Time(), nullable=False, server_default="18:00:00")
        )
    # The model sets the defaults; the server defaults only fill the existing districts.
    with op.batch_alter_table("district", schema=None) as batch_op:
        batch_op.alter_column("day_starts", server_default=None)
        batch_op.alter_column("day_ends", server_default=None)

    op.create_table(
        "calendar_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "day", name="uq_calendar_override_day"),
    )
    with op.batch_alter_table("calendar_override", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_override_district_id"), ["district_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_override_district_id"))
    op.drop_table("calendar_override")
    with op.batch_alter_table("district", schema=None) as batch_op:
        batch_op.drop_column("day_ends")
        batch_op.drop_column("day_starts")

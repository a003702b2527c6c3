"""Meeting lifecycle: council series (RRULE, moved or cancelled sittings), answers, the
joint inspection's address and outcome.

Revision ID: 0006
Revises: 0008
Create Date: 2026-11-24 06:42:52.524111
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.core.base

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("answered_at", models.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "user_id"),
    )
    with op.batch_alter_table("meeting_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_response_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_sitting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("original_start", models.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("starts_at", models.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", models.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("updated_at", models.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "original_start"),
    )
    with op.batch_alter_table("meeting_sitting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_sitting_meeting_id"), ["meeting_id"], unique=False
        )

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rrule", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("school_agency_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("address", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("act_number", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("act_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("outcome_note", sa.String(length=1000), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            "fk_meeting_school_agency_id_agency", "agency", ["school_agency_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint("fk_meeting_school_agency_id_agency", type_="foreignkey")
        batch_op.drop_column("outcome_note")
        batch_op.drop_column("act_date")
        batch_op.drop_column("act_number")
        batch_op.drop_column("address")
        batch_op.drop_column("school_agency_id")
        batch_op.drop_column("rrule")

    with op.batch_alter_table("meeting_sitting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_sitting_meeting_id"))

    op.drop_table("meeting_sitting")
    with op.batch_alter_table("meeting_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_response_meeting_id"))

    op.drop_table("meeting_response")

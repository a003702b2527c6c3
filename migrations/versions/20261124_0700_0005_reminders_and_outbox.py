"""Meeting reminders and a richer outbox: kinds, HTML, Reply-To, nudges, voided rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_meeting_reminder_due_at", ["reminder_due_at"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=32), nullable=False, server_default="message")
        )
        batch_op.add_column(sa.Column("html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reply_to", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("meeting_sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("nudged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_notification_meeting_id_meeting", "meeting", ["meeting_id"], ["id"]
        )
        batch_op.create_index("ix_notification_meeting_id", ["meeting_id"], unique=False)
        batch_op.create_index("ix_notification_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_due")
        batch_op.drop_index("ix_notification_meeting_id")
        batch_op.drop_constraint("fk_notification_meeting_id_meeting", type_="foreignkey")
        batch_op.drop_column("nudged_at")
        batch_op.drop_column("meeting_sequence")
        batch_op.drop_column("meeting_id")
        batch_op.drop_column("reply_to")
        batch_op.drop_column("html")
        batch_op.drop_column("kind")

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_reminder_due_at")
        batch_op.drop_column("reminder_due_at")

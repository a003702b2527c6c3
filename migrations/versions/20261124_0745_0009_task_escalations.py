"""Task reminders, escalations and daily digests: the indexed next moment of a task's ladder,
the task a notification is about, and the day a district's digest was last planned.

Revision ID: 0009
Revises: 0010
Create Date: 2026-11-24 07:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_due_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_task_escalation_due_at", ["escalation_due_at"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_notification_task_id_task", "task", ["task_id"], ["id"])
        batch_op.create_index("ix_notification_task_id", ["task_id"], unique=False)

    with op.batch_alter_table("district", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_planned_on", sa.Date(), nullable=True))

    # Open tasks that exist already start their ladder at the next tick.
    op.execute(sa.text("UPDATE task SET escalation_due_at = created_at WHERE status = 'open'"))


def _drop_column(table: str, column: str) -> None:
    # SQLite drops a plain column in place (3.35+); a batch copy would have to DROP TABLE
    # district or task, which the rows referencing them forbid.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    _drop_column("district", "digest_planned_on")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_task_id")
        batch_op.drop_constraint("fk_notification_task_id_task", type_="foreignkey")
        batch_op.drop_column("task_id")

    op.drop_index("ix_task_escalation_due_at", table_name="task")
    _drop_column("task", "escalation_due_at")

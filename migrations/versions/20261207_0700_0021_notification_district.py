"""Each email knows its district (``notification.district_id``): a district's administrators
see, retry and are warned of their own district's undelivered emails only, and ``/metrics``
counts them per district.

The rows there are take their district from their task, else their meeting, else their
recipient's agency; where the deployment has one district, the rest (an agency head's digest)
are that district's.

Revision ID: 0021_notification_district
Revises: 0020_regions
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_notification_district"
down_revision = "0020_regions"
branch_labels = None
depends_on = None

_TRACE = """
UPDATE notification SET district_id = COALESCE(
    (SELECT t.district_id FROM task t WHERE t.id = notification.task_id),
    (SELECT m.district_id FROM meeting m WHERE m.id = notification.meeting_id),
    (SELECT a.district_id FROM user_account u JOIN agency a ON a.id = u.agency_id
      WHERE u.id = notification.user_id),
    CASE WHEN (SELECT COUNT(*) FROM district) = 1 THEN (SELECT MIN(id) FROM district) END
)
"""


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("district_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "notification_district_id_fkey", "district", ["district_id"], ["id"]
        )
        batch.create_index(
            "ix_notification_district_status", ["district_id", "status"], unique=False
        )
    op.execute(_TRACE)


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_index("ix_notification_district_status")
        batch.drop_constraint("notification_district_id_fkey", type_="foreignkey")
        batch.drop_column("district_id")

"""The district's council series by start, for the calendar view: a partial index holding
only meetings with a rule, so finding a window's series never reads the single meetings.

Revision ID: 0012_series_index
Revises: 0011_sittings
Create Date: 2026-11-29 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_series_index"
down_revision = "0011_sittings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_meeting_series",
        "meeting",
        ["district_id", "starts_at"],
        postgresql_where=sa.text("rrule IS NOT NULL"),
        sqlite_where=sa.text("rrule IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_meeting_series", table_name="meeting")

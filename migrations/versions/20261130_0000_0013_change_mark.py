"""Change marks: per district, a number every commit that changes what its pages show raises,
so the web's kept page parts know when to render again (``models.core.marks``); row 0 moves
for every district.

Revision ID: 0013_change_mark
Revises: 0012_series_index
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_change_mark"
down_revision = "0012_series_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_mark",
        sa.Column("district_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("value", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("change_mark")

"""An agency head's language: the emails to the head's address (level 1 of the escalation
ladder, the agency's part of the daily digest) come in it; Russian, the district's default,
for the agencies that exist.

Revision ID: 0014_agency_head_locale
Revises: 0013_change_mark
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_agency_head_locale"
down_revision = "0013_change_mark"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, as 0007 adds name_en: a batch copy of "agency" would trip the foreign
    # keys that point at it once rows exist.
    op.add_column(
        "agency",
        sa.Column("head_locale", sa.String(length=8), nullable=False, server_default="ru"),
    )


def downgrade() -> None:
    op.drop_column("agency", "head_locale")

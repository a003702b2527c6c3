"""Publish feeds: personal feed tokens, publishing state, feed dirty marks, task versions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("publishing_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("agency_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key("fk_feed_token_user_id", "user_account", ["user_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_feed_token_user_id"), ["user_id"], unique=False)
        batch_op.create_check_constraint(
            "ck_feed_token_owner", "(agency_id IS NULL) <> (user_id IS NULL)"
        )

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "feed_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["feed_token.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feed_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_change_feed_id"), ["feed_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feed_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_change_feed_id"))
    op.drop_table("feed_change")

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("sequence")

    # Personal feeds cannot exist without the columns that name their owner.
    op.execute("DELETE FROM feed_token WHERE user_id IS NOT NULL")
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.drop_constraint("ck_feed_token_owner", type_="check")
        batch_op.drop_index(batch_op.f("ix_feed_token_user_id"))
        batch_op.drop_constraint("fk_feed_token_user_id", type_="foreignkey")
        batch_op.alter_column("agency_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("publishing_until")
        batch_op.drop_column("published_at")
        batch_op.drop_column("user_id")

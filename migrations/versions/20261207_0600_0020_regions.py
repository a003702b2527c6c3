"""Regions on one deployment: a region holds districts (``region``, ``district.region_id``), an
agency's slug is unique within its district only, and each district has its own case-code
prefix (``district.case_prefix``; the districts that exist keep ``D``, and their codes).

Revision ID: 0020_regions
Revises: 0019_webhooks
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_regions"
down_revision = "0019_webhooks"
branch_labels = None
depends_on = None

#: The initial schema left the slug's unique constraint unnamed; PostgreSQL named it, and this
#: convention names it for SQLite's batch copy.
_UNNAMED = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_slug_constraint() -> str:
    return "uq_agency_slug" if op.get_bind().dialect.name == "sqlite" else "agency_slug_key"


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_ru", sa.String(length=200), nullable=False),
        sa.Column("name_kk", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_ru"),
    )
    with op.batch_alter_table("district") as batch:
        batch.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("case_prefix", sa.String(length=4), server_default="D", nullable=False)
        )
        batch.create_foreign_key("district_region_id_fkey", "region", ["region_id"], ["id"])
        batch.create_index("ix_district_region_id", ["region_id"], unique=False)
        batch.create_index("ix_district_case_prefix", ["case_prefix"], unique=True)
    with op.batch_alter_table("agency", naming_convention=_UNNAMED) as batch:
        batch.drop_constraint(_old_slug_constraint(), type_="unique")
        batch.create_unique_constraint("uq_agency_district_slug", ["district_id", "slug"])


def downgrade() -> None:
    shared = (
        op.get_bind()
        .execute(sa.text("SELECT slug FROM agency GROUP BY slug HAVING COUNT(*) > 1 ORDER BY slug"))
        .scalars()
        .all()
    )
    if shared:  # checked before any change: SQLite's batch copy is not undone by a failure
        raise RuntimeError(
            f"several districts have agencies {', '.join(shared)}: the older schema allows one "
            "agency per slug; rename or remove them first"
        )
    with op.batch_alter_table("agency", naming_convention=_UNNAMED) as batch:
        batch.drop_constraint("uq_agency_district_slug", type_="unique")
        batch.create_unique_constraint(_old_slug_constraint(), ["slug"])
    with op.batch_alter_table("district") as batch:
        batch.drop_index("ix_district_case_prefix")
        batch.drop_index("ix_district_region_id")
        batch.drop_constraint("district_region_id_fkey", type_="foreignkey")
        batch.drop_column("case_prefix")
        batch.drop_column("region_id")
    op.drop_table("region")

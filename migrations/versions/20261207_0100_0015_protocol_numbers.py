"""Protocol numbers: each district numbers the protocols of a year's sittings 1, 2, 3… as
their minutes are recorded (meeting_minutes.protocol_year, protocol_number) from a counter
per district and year (meeting_protocol_counter). Minutes recorded before are numbered here,
per district and year of their sitting (local date), in the order they were recorded.

Revision ID: 0015_protocol_numbers
Revises: 0014_agency_head_locale
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0015_protocol_numbers"
down_revision = "0014_agency_head_locale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_protocol_counter",
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.PrimaryKeyConstraint("district_id", "year"),
    )
    # Plain ALTER TABLE (nullable columns): a batch copy would trip the foreign keys that
    # point at meeting_minutes once rows exist.
    op.add_column("meeting_minutes", sa.Column("protocol_year", sa.Integer(), nullable=True))
    op.add_column("meeting_minutes", sa.Column("protocol_number", sa.Integer(), nullable=True))
    _number_existing_minutes()


def _number_existing_minutes() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT mm.id, m.district_id, d.timezone, mm.sitting_start "
            "FROM meeting_minutes mm JOIN meeting m ON m.id = mm.meeting_id "
            "JOIN district d ON d.id = m.district_id "
            "ORDER BY mm.recorded_at, mm.id"
        )
    ).all()
    last: dict[tuple[int, int], int] = {}
    for minutes_id, district_id, timezone, sitting_start in rows:
        start = _aware(sitting_start)
        year = start.astimezone(ZoneInfo(timezone or "Asia/Almaty")).year
        number = last.get((district_id, year), 0) + 1
        last[(district_id, year)] = number
        conn.execute(
            sa.text(
                "UPDATE meeting_minutes SET protocol_year = :year, protocol_number = :number "
                "WHERE id = :id"
            ),
            {"year": year, "number": number, "id": minutes_id},
        )
    for (district_id, year), number in sorted(last.items()):
        conn.execute(
            sa.text(
                "INSERT INTO meeting_protocol_counter (district_id, year, last_number) "
                "VALUES (:district_id, :year, :number)"
            ),
            {"district_id": district_id, "year": year, "number": number},
        )


def _aware(value: datetime | str) -> datetime:
    """A stored UTC moment (SQLite hands back text or a naive datetime)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def downgrade() -> None:
    op.drop_column("meeting_minutes", "protocol_number")
    op.drop_column("meeting_minutes", "protocol_year")
    op.drop_table("meeting_protocol_counter")

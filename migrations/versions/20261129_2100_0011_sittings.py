"""Sittings of a series: the indexed next sitting of every meeting, the sitting a reminder is
about, and minutes per sitting (a series records each of its sittings on its own).

Revision ID: 0011_sittings
Revises: 0009
Create Date: 2026-11-29 21:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from models.core.base import UTCDateTime

revision = "0011_sittings"
down_revision = "0009"
branch_labels = None
depends_on = None

_COPY_UP = (
    "INSERT INTO _new_meeting_minutes (id, meeting_id, text, recorded_at, recorded_by_id, "
    "agenda_at, sitting_start) SELECT mm.id, mm.meeting_id, mm.text, mm.recorded_at, "
    "mm.recorded_by_id, mm.agenda_at, m.starts_at FROM meeting_minutes mm "
    "JOIN meeting m ON m.id = mm.meeting_id"
)
_COPY_DOWN = (
    "INSERT INTO _new_meeting_minutes (id, meeting_id, text, recorded_at, recorded_by_id, "
    "agenda_at) SELECT id, meeting_id, text, recorded_at, recorded_by_id, agenda_at "
    "FROM meeting_minutes"
)


def _minutes_table(name: str, *, per_sitting: bool) -> None:
    """Create the minutes table as it is (*per_sitting*) or was before this revision."""
    columns: list[sa.Column[object] | sa.Constraint] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("agenda_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    ]
    if per_sitting:
        columns += [
            sa.Column("sitting_start", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("meeting_id", "sitting_start", name="uq_meeting_minutes_sitting"),
        ]
    else:
        columns.append(sa.UniqueConstraint("meeting_id"))
    op.create_table(name, *columns)


def _rebuild_sqlite_minutes(*, per_sitting: bool) -> None:
    """Rebuild meeting_minutes on SQLite, which cannot change a table's constraints in place.

    The ids stay, so attendance, decisions and agenda items still point at their minutes; the
    migration environment switches foreign keys off meanwhile, or dropping the old table would
    delete them through their ON DELETE CASCADE.
    """
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("foreign keys must be off while meeting_minutes is rebuilt")
    _minutes_table("_new_meeting_minutes", per_sitting=per_sitting)
    op.execute(_COPY_UP if per_sitting else _COPY_DOWN)
    op.drop_table("meeting_minutes")
    op.rename_table("_new_meeting_minutes", "meeting_minutes")


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_sitting_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_meeting_next_sitting_at", ["next_sitting_at"], unique=False)
    # A single meeting's next sitting is itself. A series' is found by the tick: its moment is
    # now (or earlier, when it was waiting already), and the tick then lists it by its next
    # sitting and plans that sitting's reminders; until then it lists by its first sitting.
    op.execute("UPDATE meeting SET next_sitting_at = starts_at")
    now = sa.bindparam("now", datetime.now(UTC), type_=UTCDateTime())
    op.execute(
        sa.text(
            "UPDATE meeting SET reminder_due_at = CASE WHEN reminder_due_at IS NOT NULL "
            "AND reminder_due_at < :now THEN reminder_due_at ELSE :now END "
            "WHERE rrule IS NOT NULL AND status = 'scheduled'"
        ).bindparams(now)
    )

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sitting_start", sa.DateTime(timezone=True), nullable=True))

    # Minutes recorded so far belong to their meeting's first sitting: decisions were counted
    # from it, as the portal could record only one sitting.
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_minutes(per_sitting=True)
        return
    op.add_column(
        "meeting_minutes", sa.Column("sitting_start", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE meeting_minutes SET sitting_start = "
        "(SELECT starts_at FROM meeting WHERE meeting.id = meeting_minutes.meeting_id)"
    )
    op.alter_column("meeting_minutes", "sitting_start", nullable=False)
    op.drop_constraint("meeting_minutes_meeting_id_key", "meeting_minutes", type_="unique")
    op.create_unique_constraint(
        "uq_meeting_minutes_sitting", "meeting_minutes", ["meeting_id", "sitting_start"]
    )


def downgrade() -> None:
    several = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT meeting_id FROM meeting_minutes GROUP BY meeting_id HAVING count(*) > 1"
            )
        )
        .first()
    )
    if several is not None:
        raise RuntimeError(
            f"meeting {several[0]} has minutes of several sittings; the previous revision "
            "keeps one per meeting, so the downgrade would lose minutes: it stops here"
        )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_minutes(per_sitting=False)
        op.execute("ALTER TABLE notification DROP COLUMN sitting_start")
        op.drop_index("ix_meeting_next_sitting_at", table_name="meeting")
        op.execute("ALTER TABLE meeting DROP COLUMN next_sitting_at")
        return
    op.drop_constraint("uq_meeting_minutes_sitting", "meeting_minutes", type_="unique")
    op.create_unique_constraint("meeting_minutes_meeting_id_key", "meeting_minutes", ["meeting_id"])
    op.drop_column("meeting_minutes", "sitting_start")
    op.drop_column("notification", "sitting_start")
    op.drop_index("ix_meeting_next_sitting_at", table_name="meeting")
    op.drop_column("meeting", "next_sitting_at")

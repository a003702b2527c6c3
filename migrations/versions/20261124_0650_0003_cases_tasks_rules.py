"""Cases in full, their restricted part and code counter; statutory rules, tasks, escalation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 06:40:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_GUIDE = "Руководство по межведомственному взаимодействию"

#: DOMAIN.md's table of statutory deadlines (seeds/004, the interagency guide).
#: slug, title ru, title kk, legal source, trigger, responsible, period kind, days, active
RULES = [
    (
        "primary-information",
        "Сформировать первичную информацию о ребёнке (семье)",
        "Бала (отбасы) туралы бастапқы ақпаратты қалыптастыру",
        f"{_GUIDE}, гл. 1, п. 4",
        "report_received",
        "receiving",
        "working_days",
        1,
        True,
    ),
    (
        "lead-agency-to-akimat",
        "Выбрать приоритетный орган и передать информацию специалисту акимата",
        "Басым органды таңдап, ақпаратты әкімдік маманына беру",
        f"{_GUIDE}, гл. 1, п. 4",
        "report_received",
        "receiving",
        "calendar_days",
        2,
        True,
    ),
    (
        "inform-police",
        "Незамедлительно сообщить в ОВД для принятия мер защиты",
        "Қорғау шараларын қабылдау үшін ІІО-ға дереу хабарлау",
        f"{_GUIDE}, гл. 1, п. 4",
        "signs_of_offence",
        "receiving",
        "immediately",
        0,
        True,
    ),
    (
        "duplicate-to-guardianship",
        "Продублировать информацию в орган опеки и попечительства",
        "Ақпаратты қорғаншылық және қамқоршылық органына қайталап жіберу",
        f"{_GUIDE}, гл. 1, п. 5",
        "report_received",
        "receiving",
        "immediately",
        0,
        True,
    ),
    (
        "education-emergency",
        "Довести информацию о ЧП в сфере образования до Комитета по охране прав детей",
        "Білім беру саласындағы төтенше оқиға туралы "
        "Балалардың құқықтарын қорғау комитетіне жеткізу",
        f"{_GUIDE}, гл. 1, п. 7",
        "report_received",
        "education",
        "working_days",
        1,
        False,  # only for emergencies in an education organisation: an admin switches it on
    ),
    (
        "inform-prosecutor",
        "Незамедлительно информировать прокурора об отобрании ребёнка",
        "Баланы алып қою туралы прокурорға дереу хабарлау",
        f"{_GUIDE}, гл. 5, п. 12",
        "child_removed",
        "education",
        "immediately",
        0,
        True,
    ),
    (
        "parental-rights-materials",
        "Собрать материалы об ограничении или лишении родительских прав и обратиться в суд",
        "Ата-ана құқықтарын шектеу немесе айыру туралы материалдарды жинап, сотқа жүгіну",
        f"{_GUIDE}, гл. 5, п. 12",
        "child_removed",
        "education",
        "calendar_days",
        7,
        True,
    ),
]


def upgrade() -> None:
    rules = op.create_table(
        "statutory_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title_ru", sa.String(length=300), nullable=False),
        sa.Column("title_kk", sa.String(length=300), nullable=False),
        sa.Column("legal_source", sa.String(length=300), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("responsible", sa.String(length=32), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        rules,
        [
            {
                "slug": slug,
                "title_ru": title_ru,
                "title_kk": title_kk,
                "legal_source": source,
                "trigger": trigger,
                "responsible": responsible,
                "period_kind": kind,
                "period_days": days,
                "active": active,
                "position": position,
                "updated_at": now,
            }
            for position, (
                slug,
                title_ru,
                title_kk,
                source,
                trigger,
                responsible,
                kind,
                days,
                active,
            ) in enumerate(RULES)
        ],
    )
    op.create_table(
        "case_code_counter",
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.PrimaryKeyConstraint("district_id", "year"),
    )
    op.create_table(
        "escalation_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("district_id", "level", name="uq_escalation_level"),
    )
    with op.batch_alter_table("escalation_level", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_level_district_id"), ["district_id"], unique=False
        )
    op.create_table(
        "case_restricted",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("child_name", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("school_class", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("responsible_agency_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("counted_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assignee_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"]),
        sa.ForeignKeyConstraint(["completed_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.ForeignKeyConstraint(["responsible_agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["rule_id"], ["statutory_rule.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_agency_status_due",
            ["responsible_agency_id", "status", "due_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_task_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_task_district_status_due", ["district_id", "status", "due_at"], unique=False
        )

    # Existing cases: received when opened, by their lead agency; source and category unknown.
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receiving_agency_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("source", sa.String(length=32), nullable=False, server_default="other")
        )
        batch_op.add_column(
            sa.Column("category", sa.String(length=32), nullable=False, server_default="other")
        )
        batch_op.add_column(
            sa.Column("signs_of_offence", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("child_removed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("opened_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=500), nullable=True))
    op.execute("UPDATE case_file SET received_at = opened_at, receiving_agency_id = lead_agency_id")
    _drop_code_unique()
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.alter_column(
            "received_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        for name in ("source", "category", "signs_of_offence", "child_removed"):
            batch_op.alter_column(name, server_default=None)
        batch_op.create_unique_constraint("uq_case_file_district_code", ["district_id", "code"])
        batch_op.create_foreign_key(
            "fk_case_file_opened_by_id", "user_account", ["opened_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_case_file_receiving_agency_id", "agency", ["receiving_agency_id"], ["id"]
        )


# 0001 left the code's unique constraint unnamed: PostgreSQL called it case_file_code_key;
# on SQLite a naming convention lets batch mode find it.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_code_unique() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("case_file", naming_convention=_SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint("uq_case_file_code", type_="unique")
    else:
        op.drop_constraint("case_file_code_key", "case_file", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_constraint("fk_case_file_receiving_agency_id", type_="foreignkey")
        batch_op.drop_constraint("fk_case_file_opened_by_id", type_="foreignkey")
        batch_op.drop_constraint("uq_case_file_district_code", type_="unique")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("opened_by_id")
        batch_op.drop_column("child_removed")
        batch_op.drop_column("signs_of_offence")
        batch_op.drop_column("category")
        batch_op.drop_column("source")
        batch_op.drop_column("received_at")
        batch_op.drop_column("receiving_agency_id")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        sqlite = op.get_bind().dialect.name == "sqlite"
        name = "uq_case_file_code" if sqlite else "case_file_code_key"
        batch_op.create_unique_constraint(name, ["code"])
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_district_status_due")
        batch_op.drop_index(batch_op.f("ix_task_case_id"))
        batch_op.drop_index(batch_op.f("ix_task_assignee_id"))
        batch_op.drop_index("ix_task_agency_status_due")
    op.drop_table("task")
    op.drop_table("case_restricted")
    with op.batch_alter_table("escalation_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_level_district_id"))
    op.drop_table("escalation_level")
    op.drop_table("case_code_counter")
    op.drop_table("statutory_rule")

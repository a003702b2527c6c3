"""Integrations: systems that send reports through the API with a token of their own
(``integration``), the idempotency keys of their requests (``idempotency_key``), the source's
reference of a report and the integration that opened a case (``case_file``), and audit events
recorded under an integration's name (``audit_event.integration_id``).

Revision ID: 0018_integrations
Revises: 0017_password_reset_requests
Create Date: 2026-12-07 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_integrations"
down_revision = "0017_password_reset_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_requests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_integration_district_id", "integration", ["district_id"])
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integration.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("integration_id", "key", name="uq_idempotency_key_integration_key"),
    )
    # Plain ALTER TABLE (a batch copy of case_file would trip the keys that point at it); SQLite
    # takes a foreign key only inside ADD COLUMN, PostgreSQL as a constraint of its own.
    op.add_column("case_file", sa.Column("source_reference", sa.String(length=100)))
    for table, column, key in (
        ("case_file", "opened_by_integration_id", "fk_case_file_opened_by_integration_id"),
        ("audit_event", "integration_id", "fk_audit_event_integration_id"),
    ):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                f"CONSTRAINT {key} REFERENCES integration (id)"
            )
        else:
            op.add_column(table, sa.Column(column, sa.Integer()))
            op.create_foreign_key(key, table, "integration", [column], ["id"])
    op.create_index(
        "uq_case_file_source_reference",
        "case_file",
        ["district_id", "source", "source_reference"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_case_file_source_reference", table_name="case_file")
    if op.get_bind().dialect.name == "postgresql":  # SQLite drops them with the columns
        op.drop_constraint("fk_audit_event_integration_id", "audit_event", type_="foreignkey")
        op.drop_constraint("fk_case_file_opened_by_integration_id", "case_file", type_="foreignkey")
    op.drop_column("audit_event", "integration_id")
    op.drop_column("case_file", "opened_by_integration_id")
    op.drop_column("case_file", "source_reference")
    op.drop_table("idempotency_key")
    op.drop_index("ix_integration_district_id", table_name="integration")
    op.drop_table("integration")

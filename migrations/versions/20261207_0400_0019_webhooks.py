"""Webhooks: an integration's URL for the events of the cases it opened, and the secret they are
signed with (``integration.webhook_url``, ``integration.webhook_secret``).

Revision ID: 0019_webhooks
Revises: 0018_integrations
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_webhooks"
down_revision = "0018_integrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, nullable columns: no batch copy of a table that others point at.
    op.add_column("integration", sa.Column("webhook_url", sa.String(length=254), nullable=True))
    op.add_column("integration", sa.Column("webhook_secret", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("integration", "webhook_secret")
    op.drop_column("integration", "webhook_url")

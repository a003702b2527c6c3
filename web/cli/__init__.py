"""The ``birge`` command: one module per command group, all registered on :data:`main`."""

from __future__ import annotations

from web.cli import accounts, database, deadlines, feeds, integrations, processes
from web.cli.base import main

__all__ = ["accounts", "database", "deadlines", "feeds", "integrations", "main", "processes"]

"""The ``birge`` command: one module per command group, all registered on :data:`main`."""

from __future__ import annotations

from web.cli import accounts, database, deadlines, districts, feeds, integrations, processes
from web.cli.base import main

__all__ = [
    "accounts",
    "database",
    "deadlines",
    "districts",
    "feeds",
    "integrations",
    "main",
    "processes",
]

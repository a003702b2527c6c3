"""Run the ``birge`` command as ``python -m web.cli`` (how `birge worker` starts its copies)."""

from __future__ import annotations

from web.cli import main

main()

"""Administrators' pages for the statutory rules and the district's escalation policy."""

from web.deadlines.routes import bp

__all__ = ["bp"]

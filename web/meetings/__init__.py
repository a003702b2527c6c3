"""The dashboard, scheduling form and meeting pages."""

from web.meetings.routes import bp

__all__ = ["bp"]

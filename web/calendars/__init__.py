"""Per-agency iCalendar feeds behind secret tokens."""

from web.calendars.routes import bp

__all__ = ["bp"]

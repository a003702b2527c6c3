"""Administration: agencies, staff, and importing both from CSV."""

from web.admin.routes import bp

__all__ = ["bp"]

"""Administrators' page of failed and long-pending emails, with retry."""

from web.outbox.routes import bp

__all__ = ["bp"]

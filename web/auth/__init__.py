"""Signing in and out, and the language switch."""

from web.auth.routes import bp

__all__ = ["bp"]

"""The deadline calculator and the administrators' page of decree overrides."""

from web.workdays.routes import bp

__all__ = ["bp"]

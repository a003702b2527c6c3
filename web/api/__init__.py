"""``/api/v1``: the intake API for other systems (the 111 helpline), with its OpenAPI document."""

from web.api.routes import bp

__all__ = ["bp"]

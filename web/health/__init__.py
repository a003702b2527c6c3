"""``/healthz``: is the database and the broker reachable."""

from web.health.routes import bp

__all__ = ["bp"]

"""Tasks: the lists (mine, my agency's, the district's), adding one by hand, completing,
cancelling and reassigning."""

from web.tasks.routes import bp

__all__ = ["bp"]

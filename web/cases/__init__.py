"""Cases: the list a user may see, opening a case, the case page and its restricted part."""

from web.cases.routes import bp

__all__ = ["bp"]

"""Rendered parts of pages, kept per web process until the data or the minute changes.

A part is kept under what it depends on (whose view: an agency and role, or one person's
sign-in; the language; the query) plus the change marks of the user's district and of every
district (``models.core.marks``) and the minute. So a change anyone commits shows on the next
view, and what moves with the clock alone (a task falling overdue, a meeting ending) shows
within a minute. The minute also bounds how long anything the marks cannot see could linger.

Only the parts of a page are kept, never the layout around them: the header, the flashed
messages and the sign-out form are rendered for each request.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, g, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from models.core.base import utcnow
from models.core.marks import current_marks
from web.context import db_session, settings_of
from web.templating import current_locale

__all__ = ["FragmentCache", "cached", "cached_html", "my_view", "our_view"]


class FragmentCache:
    """A least-recently-used store of strings, bounded by the memory they take; thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[Hashable, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            value = self._kept.get(key)
            if value is not None:
                self._kept.move_to_end(key)
            return value

    def put(self, key: Hashable, value: str) -> None:
        size = sys.getsizeof(value)  # Cyrillic text takes 2 bytes a character
        if size > self.max_bytes // 4:
            return  # one huge part must not empty the store
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._bytes -= sys.getsizeof(old)
            self._kept[key] = value
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self._bytes -= sys.getsizeof(dropped)

    def __len__(self) -> int:
        return len(self._kept)


def cached(name: str, view: Hashable, render: Callable[[], str]) -> str:
    """Return the part *name* as *view* sees it now: kept, or rendered by *render* and kept.

    *view* must hold everything the part depends on besides the data, the language and the
    minute (see :func:`our_view`, :func:`my_view`); a part that depends on the query string
    names it in *view*.
    """
    store = _store()
    if store is None:
        return render()
    if "change_marks" not in g:  # before the data the page reads
        agency_id = current_user.agency_id if current_user.is_authenticated else 0
        g.change_marks = current_marks(db_session(), agency_id=agency_id)
    minute = utcnow().replace(second=0, microsecond=0)
    key = (name, view, current_locale(), g.change_marks, minute)
    kept = store.get(key)
    if kept is None:
        kept = render()
        store.put(key, kept)
    return kept


def cached_html(name: str, view: Hashable, render: Callable[[], str]) -> Markup:
    """:func:`cached` for a part *render* renders from an autoescaping template."""
    return Markup(cached(name, view, render))  # noqa: S704 - our templates' escaped output


def our_view() -> Hashable:
    """What everyone of the user's agency and role sees alike (need to know is by agency)."""
    return ("agency", current_user.agency_id, current_user.role)


def my_view() -> Hashable:
    """What only this sign-in sees: the user's own answers, whose forms bear tokens signed with
    this session's CSRF secret (the key holds a digest of the secret, not the secret)."""
    generate_csrf()  # makes sure this session has its token
    raw = str(session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), ""))
    return ("person", current_user.id, hashlib.sha256(raw.encode()).hexdigest()[:16])


def _store() -> FragmentCache | None:
    size = settings_of(current_app).page_cache_mb
    if size <= 0:
        return None
    store = current_app.extensions.get("birge.fragments")
    if store is None:
        store = current_app.extensions.setdefault(
            "birge.fragments", FragmentCache(max_bytes=size * 1024 * 1024)
        )
    assert isinstance(store, FragmentCache)
    return store

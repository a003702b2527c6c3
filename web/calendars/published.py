"""Answer a feed request from the feeds directory, as nginx would, without touching the DB.

:class:`PublishedFeeds` sits in front of the Flask app (like nginx's ``try_files``): a
request for a published feed is answered from the directory without routing, sessions or a
database; anything else, including a feed never published yet, goes on to Flask.
The headers match what nginx sends for the same file (its ETag is ``"<mtime>-<size>"`` in
hex), so a deployment can move from the embedded web to nginx without every calendar app
downloading every feed again. A conditional request is answered from ``stat`` alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from werkzeug.http import http_date
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from calendars.ical import strong_etag
from web.assembly import FeedFile, FeedStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "CACHE_CONTROL",
    "CONTENT_TYPE",
    "PublishedFeeds",
    "feed_bytes_response",
    "feed_file_response",
]

_FEED_PATH = re.compile(r"/calendars/([0-9a-f]{40})\.ics")

#: Calendar apps poll; let them revalidate cheaply every time, and never let a proxy share
#: a feed (its URL is a secret).
CACHE_CONTROL = "private, no-cache"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _not_modified(request: Request, etag: str, mtime: int | None) -> bool:
    if request.if_none_match:
        # Weak comparison (RFC 9110 13.1.2), as for any GET.
        return request.if_none_match.contains_weak(etag.strip('"'))
    since = request.if_modified_since
    return mtime is not None and since is not None and mtime <= since.timestamp()


def feed_file_response(request: Request, published: FeedFile) -> Response:
    """Answer with *published*, or 304 when the client's copy is current."""
    headers = {
        "ETag": published.etag,
        "Last-Modified": http_date(datetime.fromtimestamp(published.mtime, UTC)),
        "Cache-Control": CACHE_CONTROL,
    }
    if _not_modified(request, published.etag, published.mtime):
        return Response(status=304, headers=headers)
    try:
        handle = open(published.path, "rb")  # noqa: SIM115 - the response closes it
    except FileNotFoundError:
        # Rotated between stat and open: answer as for any unknown token.
        return Response(status=404)
    # The file may have been replaced since stat: describe the one we opened.
    st = os.fstat(handle.fileno())
    if st.st_size != published.size or int(st.st_mtime) != published.mtime:
        current = FeedFile(published.path, int(st.st_mtime), st.st_size)
        headers["ETag"] = current.etag
        headers["Last-Modified"] = http_date(datetime.fromtimestamp(current.mtime, UTC))
    response = send_file(
        handle, request.environ, mimetype="text/calendar", conditional=False, etag=False
    )
    response.headers.update(headers)
    response.content_type = CONTENT_TYPE
    response.content_length = st.st_size
    return response


def feed_bytes_response(request: Request, body: bytes) -> Response:
    """Answer with *body*, built for this request because no file was published yet."""
    etag = strong_etag(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _not_modified(request, etag, None):
        return Response(status=304, headers=headers)
    return Response(body, headers=headers, content_type=CONTENT_TYPE)


class PublishedFeeds:
    """WSGI middleware: serve published feeds straight from *store*, pass the rest on.

    *headers* are added to its answers: what the portal adds to every answer of its own.
    """

    def __init__(
        self, app: WSGIApplication, store: FeedStore, *, headers: Mapping[str, str]
    ) -> None:
        self.app = app
        self.store = store
        self.headers = dict(headers)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        match = _FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        published = self.store.stat(match.group(1))
        if published is None:
            return self.app(environ, start_response)  # never published: Flask builds it
        response = feed_file_response(Request(environ), published)
        if response.status_code == 404:
            return self.app(environ, start_response)  # removed since stat: as for no file
        response.headers.update(self.headers)
        return response(environ, start_response)

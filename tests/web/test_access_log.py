"""`birge run`'s access log never holds a secret of a link, however the path is written."""

from __future__ import annotations

import http.client
import logging
import re
import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from sqlmodel import Session
from werkzeug.serving import BaseWSGIServer, make_server

from models.core.settings import Settings
from models.feeds.tokens import feed_token
from models.meetings.answers import Answer, rsvp_token
from models.people.passwords import request_password_reset
from tests import services
from tests.factories import District, schedule
from web.serving import RedactingHandler


@pytest.fixture
def served(app: Flask) -> Iterator[BaseWSGIServer]:
    server = make_server("127.0.0.1", services.free_port(), app, request_handler=RedactingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(5)


def _spellings(path: str) -> list[str]:
    """*path* as a client may write it: as is, with its slashes or every character encoded,
    encoded twice, with upper- or lower-case escapes."""
    everything = "".join(f"%{b:02X}" for b in path.encode())
    return [
        path,
        path.replace("/", "%2F"),
        path.replace("/", "%2f"),
        "/" + path[1:].replace("/", "%2F"),
        everything,
        everything.lower(),
        quote(everything, safe=""),  # %252F...
    ]


def test_no_token_of_a_feed_answer_or_reset_link_reaches_the_access_log(
    served: BaseWSGIServer,
    district: District,
    session: Session,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    meeting = schedule(session, settings, district).meeting
    feed = feed_token(session, district.police, settings.secret_key)
    answer = rsvp_token(
        settings.secret_key, meeting.id or 0, district.inspector.id or 0, Answer.ACCEPTED
    )
    mail = request_password_reset(session, settings, district.inspector.email)
    assert mail is not None
    reset = re.search(r"/password/reset/(\S+)", mail.body).group(1)  # type: ignore[union-attr]
    session.commit()
    secrets = {"feed": feed, "answer": answer, "reset": reset}
    paths = [f"/calendars/{feed}.ics", f"/respond/{answer}", f"/password/reset/{reset}"]

    caplog.set_level(logging.INFO, logger="werkzeug")
    answered = []
    for path in paths:
        for spelling in _spellings(path):
            connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
            connection.request("GET", spelling)
            response = connection.getresponse()
            response.read()
            answered.append(response.status)
            connection.close()
    assert 200 in answered  # the links work, so they are the real thing
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "werkzeug")
    assert logged.count("GET ") == len(answered)
    for name, secret in secrets.items():
        for piece in (secret, quote(secret, safe=""), secret[:16]):
            assert piece not in logged, (name, logged)

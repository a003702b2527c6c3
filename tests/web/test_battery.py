"""The battery of issue 10: every route of the URL map, as anonymous and as each role, with bad
values in every path parameter and form field. No 500, no traceback in the log, nothing written
by a refused request, and every answer carries the security headers. Values whose effect
cannot depend on the database are shared out between its SQLite and PostgreSQL runs
(:data:`DATABASE_SENSITIVE`).

Routes are found from ``app.url_map``; a new route is covered without editing this file. Valid
values for new path parameters and POST-only forms go into ``battery_samples.py``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from flask import Flask, Request
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property

from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.feeds.tokens import feed_token
from models.people.tables import Agency
from tests.factories import District, csrf_token, login, make_user, schedule
from tests.web.battery_samples import FORM_VALUES, PATH_VALUES, World
from web.context import SESSION_KEY

BAD_PATH_VALUES = [
    "9223372036854775808",
    "99999999999999999999999999",
    "-1",
    "0",
    "١٢",  # Arabic-Indic digits
    "x" * 10_000,
    "\x00",
    "a\r\nX-Injected: 1",
    "\u202e1",
]
BAD_FIELD_VALUES = [
    "\x00",
    "a\x1b[31mb",
    "a\x85b",
    "\u202eevil\u202c",
    "x" * 10_240,
    "0001-01-01",
    "9999-12-31",
    "31.02.2026",
    "25:99",
    "-1",
    "9223372036854775808",
    "١٢٣",
    "zz-unknown-choice",
]
#: A query parameter gets the path's bad values and the fields' that a path cannot carry
#: (dates, times, choices, escapes); the over-long and numeric ones are the path's already.
BAD_QUERY_VALUES = [
    *BAD_PATH_VALUES,
    "a\x1b[31mb",
    "\u202eevil\u202c",
    "0001-01-01",
    "9999-12-31",
    "31.02.2026",
    "25:99",
    "zz-unknown-choice",
]
#: Values whose effect may depend on the database (an id past 64 bits or below 1, a NUL that
#: PostgreSQL refuses in text, a text past a column's length) are tried on both databases. The
#: others meet the same form and domain checks on either, so each is tried on one database
#: only, alternately: the two runs of a role still try every value.
DATABASE_SENSITIVE = frozenset(
    {"\x00", "x" * 10_000, "x" * 10_240, "9223372036854775808", "99999999999999999999999999"}
    | {"-1", "0"}
)


def _for_database(values: list[str], database: str) -> list[str]:
    rest = [v for v in values if v not in DATABASE_SENSITIVE]
    ours = rest[0::2] if database == "sqlite" else rest[1::2]
    return [v for v in values if v in DATABASE_SENSITIVE or v in ours]


#: Tables a refused request may still write to: the throttle counts refused sign-ins, and a
#: session's last-seen time moves.
ALLOWED_WRITES = {"sign_in_throttle", "user_session"}
#: Audit events a refused request writes on purpose: lockouts, and views or refused views of a
#: case's restricted part when a page is shown again with its errors.
AUDITED_REFUSALS = ("sign_in.locked", "%_viewed", "%_refused")
SECURITY_HEADERS = ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy")
_FIELD = re.compile(r"<(input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.IGNORECASE)
_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


#: The people the battery visits as, each in a test of its own: the roles' runs are independent
#: and the suite's workers share them out.
PEOPLE = ("anonymous", "admin", "chair", "coordinator", "member")


@dataclass
class Visitor:
    """A signed-in role (or anonymous) with its own client and client address."""

    name: str
    client: FlaskClient
    email: str | None
    token: str | None = None  # this session's CSRF token, fetched once per sign-in


@pytest.fixture
def world(district: District, session: Session, settings: Settings) -> World:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    meeting = schedule(session, settings, district).meeting
    token = feed_token(session, district.education, settings.secret_key)
    session.commit()
    return World(district, meeting.id or 0, token, admin.id or 0)


@pytest.fixture
def writes(engine: Engine) -> Iterator[Writes]:
    recorder = Writes(engine)
    yield recorder
    recorder.close()


@pytest.fixture(params=PEOPLE)
def visitor(request: pytest.FixtureRequest, app: Flask, world: World) -> Visitor:
    app.config.update(PROPAGATE_EXCEPTIONS=False)  # a crash must show as a 500, not raise
    emails = {
        "anonymous": None,
        "admin": "admin@akimat.test",
        "chair": world.district.chair.email,
        "coordinator": world.district.coordinator.email,
        "member": world.district.inspector.email,
    }
    app.request_class = ArgsReadRequest
    n = PEOPLE.index(request.param)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
    return Visitor(request.param, client, emails[request.param])


def test_every_route_survives_bad_values_as_every_role(
    app: Flask,
    settings: Settings,
    world: World,
    visitor: Visitor,
    writes: Writes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    database = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
    path_values = _for_database(BAD_PATH_VALUES, database)
    query_values = _for_database(BAD_QUERY_VALUES, database)
    field_values = _for_database(BAD_FIELD_VALUES, database)
    rules = [r for r in app.url_map.iter_rules()]
    assert {"meetings.show", "auth.login", "calendars.calendar_feed"} <= {r.endpoint for r in rules}
    counted = 0
    for rule in rules:
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        _sign_in(visitor)
        valid = {name: PATH_VALUES.get(name, lambda w: "1")(world) for name in rule.arguments}
        for name in rule.arguments:
            for bad in path_values:
                url = _url(rule.rule, valid | {name: bad})
                for method in methods:
                    _check(visitor, writes, method, url, {})
                    counted += 1
        url = _url(rule.rule, valid)
        for bad in path_values:  # query strings: a redirect target, a page number
            query = f"?next={quote(bad, safe='')}&page={quote(bad, safe='')}"
            for method in methods:
                _check(visitor, writes, method, url + query, {})
                counted += 1
        if "GET" in methods:  # and every other query parameter the route reads
            for name in sorted(_parameters_read(visitor, url) - {"next", "page"}):
                for bad in query_values:
                    _check(visitor, writes, "GET", f"{url}?{name}={quote(bad, safe='')}", {})
                    counted += 1
        if "POST" not in methods:
            continue
        form = _valid_form(visitor, rule.endpoint, url, "GET" in methods, world)
        for name in form:
            for bad in field_values:
                _sign_in(visitor)
                _check(visitor, writes, "POST", url, _with_token(visitor, form | {name: bad}))
                counted += 1
        _sign_in(visitor)
        # The API takes no cookie, so no CSRF token: without its bearer token it is a 401.
        refusals = (401,) if rule.endpoint.startswith("api.") else (400, 405)
        _check(visitor, writes, "POST", url, form, refusals)  # no CSRF token
        _check(visitor, writes, "POST", url, form | {"csrf_token": "foreign"}, refusals)
        counted += 2
        if visitor.name in ("anonymous", "admin"):  # the body limit does not depend on roles
            big = _with_token(visitor, form | {"padding": "x" * (2 * 1024 * 1024)})
            too_big = (401, 413) if rule.endpoint.startswith("api.") else (413,)
            assert _check(visitor, writes, "POST", url, big) in too_big
            counted += 1
    assert counted > 500 / len(PEOPLE)
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


#: The query parameters the routes read during the request being made.
ARGS_READ: set[str] = set()


class RecordingArgs(ImmutableMultiDict[str, str]):
    """A request's query parameters that note every name a route asks for."""

    def __getitem__(self, key: str) -> str:
        ARGS_READ.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        ARGS_READ.add(key)
        return super().get(key, default, type)

    def getlist(self, key: str, type: Any = None) -> Any:
        ARGS_READ.add(key)
        return super().getlist(key, type)

    def __contains__(self, key: object) -> bool:
        ARGS_READ.add(str(key))
        return super().__contains__(key)


class ArgsReadRequest(Request):
    @cached_property
    def args(self) -> RecordingArgs:
        pairs = parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True)
        return RecordingArgs(pairs)


def _parameters_read(visitor: Visitor, url: str) -> set[str]:
    """The query parameters the route at *url* reads when it is asked with none."""
    ARGS_READ.clear()
    visitor.client.get(url).close()
    return set(ARGS_READ)


def _sign_in(visitor: Visitor) -> None:
    """Sign the visitor in again if a request (sign-out, say) ended its session."""
    if visitor.email is None:
        return
    with visitor.client.session_transaction() as cookie:
        signed_in = SESSION_KEY in cookie
    if not signed_in:
        assert login(visitor.client, visitor.email).status_code == 302, visitor.name
        visitor.token = None


def _url(rule: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: quote(values[m.group(1)], safe=""), rule)


def _valid_form(
    visitor: Visitor, endpoint: str, url: str, may_get: bool, world: World
) -> dict[str, str | list[str]]:
    """The fields of the route's form: read from its page where it has one, plus the samples."""
    form: dict[str, str | list[str]] = {}
    if may_get:
        page = visitor.client.get(url)
        if page.status_code == 200 and page.mimetype == "text/html":
            html = page.get_data(as_text=True)
            main = html.split("<main>", 1)[-1]  # the header's language and sign-out forms aside
            for _tag, name in _FIELD.findall(main):
                form.setdefault(name, "")
    form.update(FORM_VALUES.get(endpoint, lambda w: {})(world))
    form.pop("csrf_token", None)
    return form


def _with_token(visitor: Visitor, form: dict[str, str | list[str]]) -> dict[str, object]:
    if visitor.token is None:
        page = visitor.client.get("/login" if visitor.email is None else "/")
        visitor.token = csrf_token(page.get_data(as_text=True))
    return {**form, "csrf_token": visitor.token}


_DML = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


class Writes:
    """The tables that the statements of committed transactions wrote to, as they happen.

    Stronger than counting rows before and after (an UPDATE changes no count) and cheaper (no
    query per request): the app's engine reports every statement, and a transaction's writes
    count once it commits.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: dict[int, list[str]] = {}
        self._committed: list[str] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def take(self) -> list[str]:
        """The tables written since the last call."""
        written, self._committed = self._committed, []
        return written

    def _statement(self, conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        found = _DML.match(statement)
        if found is None or found.group(1) in ALLOWED_WRITES:
            return
        if found.group(1) == AuditEvent.__tablename__ and _audited_refusal(parameters):
            return
        self._pending.setdefault(id(conn), []).append(found.group(1))

    def _commit(self, conn: Any) -> None:
        self._committed += self._pending.pop(id(conn), [])

    def _rollback(self, conn: Any) -> None:
        self._pending.pop(id(conn), None)


def _audited_refusal(parameters: Any) -> bool:
    """Whether an audit row's parameters name one of the refusals audited on purpose."""
    rows = parameters if isinstance(parameters, list) else [parameters]
    values = [v for row in rows for v in (row.values() if isinstance(row, dict) else row)]
    return any(
        isinstance(value, str) and fnmatch(value, pattern.replace("%", "*"))
        for value in values
        for pattern in AUDITED_REFUSALS
    )


def _check(
    visitor: Visitor,
    writes: Writes,
    method: str,
    url: str,
    data: Mapping[str, object],
    refusals: tuple[int, ...] = (),
) -> int:
    writes.take()  # what signing in and fetching tokens wrote
    response = visitor.client.open(url, method=method, data=data)
    response.close()  # static files are streamed from an open file
    status = response.status_code
    where = f"{visitor.name} {method} {url[:80]!r} {str(data)[:120]}"
    assert status < 500, where
    for header in SECURITY_HEADERS:
        assert header in response.headers, f"{where}: no {header}"
    written = writes.take()
    if status >= 400:
        assert written == [], f"{where}: a refused request wrote to {written}"
    if refusals:
        assert status in refusals, where
    return status


def test_the_battery_sees_committed_writes_and_updates_but_not_rolled_back_ones(
    engine: Engine, district: District
) -> None:
    """The recorder the battery relies on: a committed UPDATE is a write (counting rows missed
    those), a rolled-back INSERT is not, nor an audited refusal or a sign-in session's touch."""
    writes = Writes(engine)
    try:
        with Session(engine) as session:
            agency = session.get(Agency, district.police.id)
            assert agency is not None
            agency.name_en = "Police"
            session.commit()
            assert "agency" in writes.take()
            session.add(AuditEvent(user_id=None, action="case.opened", object_type="case"))
            session.rollback()
            session.add(
                AuditEvent(user_id=None, action="case.restricted_viewed", object_type="case")
            )
            session.commit()
            assert writes.take() == []
    finally:
        writes.close()

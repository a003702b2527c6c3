"""Fixtures: real PostgreSQL, RabbitMQ and SMTP where reachable; app and data factories."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pika
import psycopg
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import migrations
import models  # noqa: F401 - registers the tables
from models.core.db import make_engine
from models.core.marks import install_change_marks
from models.core.settings import Settings, load_settings
from tests import services
from tests.factories import District as DistrictData
from tests.factories import make_district
from web import create_app
from workers.runtime import Runtime, build_runtime

#: Names this process's databases and queues; under pytest-xdist each worker is its own run
#: ("gw0", "gw1", ... first, so that a leftover names the worker that left it).
RUN_ID = os.environ.get("PYTEST_XDIST_WORKER", "") + uuid.uuid4().hex[:8]


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Callable[[str], str]]:
    """Create throwaway databases on the test server; drop them all at the end of the run."""
    problem = services.postgres_problem()
    created: list[str] = []

    def create(suffix: str) -> str:
        if problem:
            services.unavailable(problem)
        name = f"birge_test_{RUN_ID}_{suffix}"
        with psycopg.connect(services.TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return services.with_database(services.TEST_DATABASE_URL, name)

    yield create
    if created:
        with psycopg.connect(services.TEST_DATABASE_URL, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url(postgres_server: Callable[[str], str]) -> str:
    """The run's database, migrated to the newest revision."""
    url = postgres_server("main")
    migrations.upgrade(load_settings_for(url).database_url)
    return url


def load_settings_for(database_url: str, **extra: str) -> Settings:
    env = {"BIRGE_DATABASE_URL": database_url, "BIRGE_SECRET_KEY": "test-secret-key-0123456789"}
    env.update(extra)
    return load_settings(env, create_instance=False)


# --- the database a test runs on --------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with every table, made once per run and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "birge.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the SQLite run of tests marked ``postgresql_only``."""
    left_out = [
        item
        for item in items
        if item.get_closest_marker("postgresql_only") is not None
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database_url") == "sqlite"  # type: ignore[attr-defined]
    ]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Run the test once on SQLite (the embedded default) and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "birge.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    _empty_tables(url)


@pytest.fixture
def postgres_only_url(postgres_url: str) -> Iterator[str]:
    """The run's PostgreSQL database, emptied after the test."""
    yield postgres_url
    _empty_tables(postgres_url)


def _empty_tables(url: str) -> None:
    """Delete every row and restart every sequence, in one round trip. On a database this small,
    DELETE is several times faster than TRUNCATE, which makes new files for every table."""
    engine = make_engine(load_settings_for(url).database_url)
    with engine.begin() as conn:
        sequences = conn.execute(
            text(
                "SELECT sequence_name FROM information_schema.sequences"
                " WHERE sequence_schema = 'public'"
            )
        ).scalars()
        tables = reversed(SQLModel.metadata.sorted_tables)  # the names are our own tables'
        statements = [f'DELETE FROM "{t.name}"' for t in tables]  # noqa: S608
        statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
        conn.exec_driver_sql("; ".join(statements))
    engine.dispose()


# --- RabbitMQ ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def amqp_url() -> str:
    problem = services.rabbitmq_problem()
    if problem:
        services.unavailable(problem)
    return services.TEST_BROKER_URL


@pytest.fixture
def queue_name(request: pytest.FixtureRequest) -> Iterator[str]:
    """A queue name no other run or test uses; its queues are deleted afterwards."""
    name = f"birge-test-{RUN_ID}-{uuid.uuid4().hex[:8]}"
    yield name
    if "amqp_url" in request.fixturenames:
        connection = pika.BlockingConnection(pika.URLParameters(services.TEST_BROKER_URL))
        channel = connection.channel()
        for queue in (name, f"{name}.DQ", f"{name}.XQ"):
            channel.queue_delete(queue)
        connection.close()


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the test SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    #: Seconds the server waits before accepting each message (a slow relay).
    delay: float = 0.0
    #: While true, the server answers every message with a temporary failure.
    refusing: bool = False
    #: Addresses the server says it has no mailbox for.
    unknown: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.unknown:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refusing:
            return "451 Try again later"
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.recipients.append(list(envelope.rcpt_tos))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    mailbox = Mailbox()
    port = services.free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer("127.0.0.1", port, mailbox)
    controller.stop()


# --- settings, runtime, app -------------------------------------------------------------------


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(database_url: str, **env: str) -> Settings:
        values = {
            "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
            "BIRGE_DATABASE_URL": database_url,
            "BIRGE_SECRET_KEY": "test-secret-key-0123456789",
            "BIRGE_BASE_URL": "http://birge.test",
            "BIRGE_MAIL_FROM": "Birge <birge@birge.test>",
        }
        values.update(env)
        return load_settings(values)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    install_change_marks()  # as every process that writes does (app factory, runtime, CLI)
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def district(session: Session) -> DistrictData:
    data = make_district(session)
    session.commit()
    return data


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Iterator[Runtime]:
    rt = build_runtime(settings, engine)
    yield rt
    rt.close()


class SharedBytecode(BytecodeCache):
    """Compiled templates kept for the whole run: every test builds its own app, and compiling
    the templates again for each would cost more than most tests. Jinja checks each entry against
    the template's source, so a changed template is compiled anew."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = SharedBytecode()


@pytest.fixture
def app(settings: Settings, runtime: Runtime) -> Flask:
    app = create_app(settings, runtime=runtime)
    app.config.update(TESTING=True)
    app.jinja_env.bytecode_cache = _TEMPLATES
    return app


class BufferedClient(FlaskClient):
    """A test client that reads and closes every response, as a WSGI server does (published
    feeds are streamed from open files)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = BufferedClient
    return app.test_client()

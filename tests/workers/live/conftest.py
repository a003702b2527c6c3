"""Fixtures of the worker tests on PostgreSQL, RabbitMQ and an SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session

from models.core.settings import Settings
from tests.conftest import SmtpServer
from tests.factories import District, make_district
from workers.runtime import Runtime, build_runtime


@pytest.fixture
def production_settings(
    make_settings: Callable[..., Settings],
    postgres_only_url: str,
    amqp_url: str,
    queue_name: str,
    smtp_server: SmtpServer,
) -> Settings:
    return make_settings(
        postgres_only_url,
        BIRGE_BROKER_URL=amqp_url,
        BIRGE_QUEUE_NAME=queue_name,
        BIRGE_SMTP_URL=smtp_server.url,
    )


@pytest.fixture
def rt(production_settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(production_settings)
    yield runtime
    runtime.close()
    runtime.engine.dispose()


@pytest.fixture
def district(rt: Runtime) -> District:
    with Session(rt.engine, expire_on_commit=False) as session:
        data = make_district(session)
        session.commit()
        return data

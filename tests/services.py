"""Reach the real services the tests use, and say clearly when one is missing."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from urllib.parse import urlsplit

import pika
import psycopg
import pytest

REQUIRE_SERVICES = os.environ.get("BIRGE_REQUIRE_SERVICES") == "1"
TEST_DATABASE_URL = os.environ.get(
    "BIRGE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_BROKER_URL = os.environ.get("BIRGE_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
CHROMIUM = os.environ.get("BIRGE_TEST_CHROMIUM") or shutil.which("chromium") or ""


def unavailable(reason: str) -> None:
    """Skip the test for *reason*, or fail it when the services are required (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason}; BIRGE_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(reason)


def postgres_problem() -> str | None:
    try:
        with psycopg.connect(TEST_DATABASE_URL, connect_timeout=3, autocommit=True):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {_where(TEST_DATABASE_URL)} is not reachable ({type(exc).__name__})"


def rabbitmq_problem() -> str | None:
    parameters = pika.URLParameters(TEST_BROKER_URL)
    parameters.socket_timeout = 3
    parameters.connection_attempts = 1
    try:
        pika.BlockingConnection(parameters).close()
    except Exception as exc:  # pika has many exception types for "not there"
        return f"RabbitMQ at {_where(TEST_BROKER_URL)} is not reachable ({type(exc).__name__})"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_database(url: str, name: str) -> str:
    """Return *url* pointing at database *name*."""
    parts = urlsplit(url)
    return parts._replace(path=f"/{name}").geturl()


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


def close_broker_connections(pid: int) -> int:
    """Make RabbitMQ close every connection of process *pid* (as a broker restart would).

    Only that process's connections: other suites may share this broker. Returns how many.
    """
    sockets = subprocess.run(
        ["ss", "-tnpH", "state", "established", "( dport = :5672 )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ports = {
        line.split()[2].rpartition(":")[2]
        for line in sockets.splitlines()
        if re.search(rf"pid={pid},", line)
    }
    listed = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "peer_port", "-q"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    closed = 0
    for line in listed.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1] in ports:
            subprocess.run(
                ["rabbitmqctl", "close_connection", fields[0], "fault test"],
                capture_output=True,
                check=True,
            )
            closed += 1
    return closed


def queued_notification_ids(queue: str) -> list[int]:
    """The notification ids the messages waiting on *queue* carry; the messages stay queued."""
    connection = pika.BlockingConnection(pika.URLParameters(TEST_BROKER_URL))
    try:
        channel = connection.channel()
        ids: list[int] = []
        while True:
            try:
                method, _properties, body = channel.basic_get(queue, auto_ack=False)
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code == 404:  # nobody has published to it yet
                    return ids
                raise
            if method is None:
                return ids
            ids.extend(json.loads(body)["args"][0])
    finally:
        connection.close()  # unacknowledged, so every message goes back to the queue

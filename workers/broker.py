"""Build the Dramatiq broker from ``BIRGE_BROKER_URL``; the one place that knows brokers."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pika
from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker

__all__ = ["broker_reachable", "build_broker", "rabbitmq_url"]

log = logging.getLogger(__name__)

#: pika options Birge always wants: a broker under a memory alarm must not hang a web request
#: forever, and a dead TCP peer must be noticed.
_AMQP_DEFAULTS = {
    "blocked_connection_timeout": "10",
    "heartbeat": "60",
    "socket_timeout": "5",
    "connection_attempts": "2",
    "retry_delay": "1",
}


def rabbitmq_url(url: str) -> str:
    """Return *url* with Birge's pika defaults added where the URL does not set them."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for key, value in _AMQP_DEFAULTS.items():
        query.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


def build_broker(broker_url: str) -> Broker:
    """Create the broker for *broker_url* (``stub://`` or ``amqp://``).

    Call this before declaring any actor and pass the result explicitly: a Dramatiq actor
    declared without a broker binds to a default RabbitMQ broker on localhost.
    """
    if broker_url.startswith("stub:"):
        broker: Broker = StubBroker()
        broker.emit_after("process_boot")
        return broker
    # confirm_delivery: a publish returns only once RabbitMQ has the message.
    return RabbitmqBroker(url=rabbitmq_url(broker_url), confirm_delivery=True)


def broker_reachable(broker_url: str, timeout: float = 3.0) -> bool:
    """Tell whether the broker accepts a connection now (always true for the stub)."""
    if broker_url.startswith("stub:"):
        return True
    parameters = pika.URLParameters(rabbitmq_url(broker_url))
    parameters.socket_timeout = timeout
    parameters.connection_attempts = 1
    parameters.blocked_connection_timeout = timeout
    try:
        connection = pika.BlockingConnection(parameters)
    except Exception as exc:  # pika raises many unrelated types for "not reachable"
        log.warning("broker not reachable: %s", type(exc).__name__)
        return False
    connection.close()
    return True

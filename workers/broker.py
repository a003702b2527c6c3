"""Build the Dramatiq broker from ``BIRGE_BROKER_URL``; the one place that knows brokers."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pika
from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker

__all__ = [
    "broker_reachable",
    "build_broker",
    "close_broker",
    "dead_letter_count",
    "keep_alive",
    "quiet_consumer_logs",
    "rabbitmq_url",
]

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
    _quiet_pika_logs()
    # confirm_delivery: a publish returns only once RabbitMQ has the message.
    return RabbitmqBroker(url=rabbitmq_url(broker_url), confirm_delivery=True)


class _ConnectionLossFilter(logging.Filter):
    """Turn the noise of a lost broker connection into at most one warning line.

    pika logs ERRORs when it finds a connection closed by the broker, and again when a dead
    connection is closed at shutdown; Dramatiq's consumers log CRITICAL and reconnect. Birge
    reopens connections itself and says so once (:func:`keep_alive`), so these are dropped,
    and a consumer's reconnect becomes a WARNING.
    """

    _PIKA_NOISE = (
        "Unexpected connection close detected",
        "called on closed connection",
        "Broken pipe",
        "Connection reset by peer",
    )

    def __init__(self, *, keep_one_consumer: bool = False) -> None:
        super().__init__()
        self.keep_one_consumer = keep_one_consumer

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.name.startswith("pika."):
            return not any(noise in message for noise in self._PIKA_NOISE)
        if "Consumer encountered a connection error" in message:
            if not self.keep_one_consumer:
                return False
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = (
                "broker connection lost (%s); reconnecting",
                (message.rpartition(": ")[2],),
            )
        return True


def _quiet_pika_logs() -> None:
    for name in ("pika.adapters.blocking_connection", "pika.adapters.base_connection"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ConnectionLossFilter) for f in logger.filters):
            logger.addFilter(_ConnectionLossFilter())


def quiet_consumer_logs(queue_name: str) -> None:
    """Make a worker's consumers report a lost connection with one warning line.

    Dramatiq consumes the queue and its delay queue (``.DQ``), each logging a lost connection
    at CRITICAL; the queue's consumer logs one warning, the delay queue's stays silent.
    """
    for name, keep in ((queue_name, True), (f"{queue_name}.DQ", False)):
        logger = logging.getLogger(f"dramatiq.worker.ConsumerThread({name})")
        if not any(isinstance(f, _ConnectionLossFilter) for f in logger.filters):
            logger.addFilter(_ConnectionLossFilter(keep_one_consumer=keep))


def keep_alive(broker: Broker) -> None:
    """Service the calling thread's idle publishing connection, if it has one.

    A BlockingConnection sends heartbeats only when it is used; an idle scheduler would
    otherwise learn that the broker dropped it only at its next publish. A lost connection is
    forgotten with one warning line, and the next publish opens a new one.
    """
    if not isinstance(broker, RabbitmqBroker):
        return
    connection = getattr(broker.state, "connection", None)
    if connection is None:
        return
    try:
        connection.process_data_events(time_limit=0)
    except Exception as exc:  # pika raises many types for a dead connection
        log.warning("broker connection lost (%s); it is reopened at the next use", exc)
        try:
            del broker.connection
        except Exception:  # already half gone: forgetting it is all that matters
            broker.state.__dict__.pop("connection", None)
            broker.state.__dict__.pop("channel", None)


def close_broker(broker: Broker) -> None:
    """Close the broker's connections at shutdown, without noise for those already dead."""
    if isinstance(broker, RabbitmqBroker):
        for channel in list(broker.channels):
            if channel.is_open:
                try:
                    channel.close()
                except Exception as exc:  # closing anyway
                    log.debug("closing a channel: %s", type(exc).__name__)
        broker.channels.clear()
        for connection in list(broker.connections):
            if connection.is_open:
                try:
                    connection.close()
                except Exception as exc:  # closing anyway
                    log.debug("closing a connection: %s", type(exc).__name__)
        broker.connections.clear()
        return
    broker.close()


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


def dead_letter_count(broker: Broker, broker_url: str, queue_name: str) -> int | None:
    """Count the messages in *queue_name*'s dead-letter queue, where Dramatiq puts a message
    whose actor failed for good; None when the broker does not answer.

    Birge's actors give up by returning (the tick is their retry), so this is 0 unless
    something unforeseen failed; ``/metrics`` shows it so that an alert can say so. A
    connection of its own, closed at once: ``/metrics`` is scraped from threads that come
    and go, and the broker's own connections are one per thread.
    """
    if isinstance(broker, StubBroker):
        return len(broker.dead_letters_by_queue.get(queue_name, ()))
    parameters = pika.URLParameters(rabbitmq_url(broker_url))
    parameters.socket_timeout = parameters.blocked_connection_timeout = 2
    parameters.connection_attempts = 1
    try:
        connection = pika.BlockingConnection(parameters)
    except Exception as exc:  # pika raises many unrelated types for "not reachable"
        log.warning("dead-letter count: broker not reachable (%s)", type(exc).__name__)
        return None
    try:
        declared = connection.channel().queue_declare(f"{queue_name}.XQ", passive=True)
        return int(declared.method.message_count)
    except pika.exceptions.ChannelClosedByBroker:
        return 0  # no such queue: nothing was ever dead-lettered
    except Exception as exc:  # the connection died meanwhile
        log.warning("dead-letter count: %s", type(exc).__name__)
        return None
    finally:
        if connection.is_open:
            try:
                connection.close()
            except Exception as exc:  # closing anyway
                log.debug("closing a connection: %s", type(exc).__name__)

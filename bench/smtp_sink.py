"""The drain benchmark's SMTP side: a sink that notes when each email arrived, and the
ceiling, a plain smtplib loop on one connection to the same sink."""

from __future__ import annotations

import smtplib
import threading
import time
from email.message import EmailMessage
from typing import Any

__all__ = ["Sink", "smtplib_loop"]


class Sink:
    """An aiosmtpd handler that notes when each Message-ID arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        raw: bytes = envelope.original_content
        start = raw.find(b"Message-ID:")
        key = raw[start : raw.find(b"\n", start)].decode().split(":", 1)[1].strip()
        with self.lock:
            self.arrived.setdefault(key, now)
            self.count += 1
        return "250 OK"


def smtplib_loop(port: int, message: EmailMessage, count: int, sink: Sink) -> float:
    """Send *message* *count* times on one connection; return emails per second."""
    before = sink.count
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _ in range(count):
            smtp.send_message(message)
    elapsed = time.perf_counter() - started
    assert sink.count - before == count
    return count / elapsed

"""A TCP proxy on a loopback port that can freeze or cut: a database that hangs, or one that is
down, as its clients see it.

Stopping the shared PostgreSQL server (SIGSTOP) would hang everyone else's tests; frozen, this
proxy keeps every socket open and forwards nothing, which is what a client of a stopped or
unreachable-but-not-refusing server sees: connects that never finish their handshake and
statements that never get an answer.
"""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit, urlunsplit

__all__ = ["FreezableProxy", "freezable_proxy"]


class FreezableProxy:
    """Forward 127.0.0.1:<port> to *target* until frozen; thawed, forward again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._stop = threading.Event()
        self._down = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="db-proxy", daemon=True)
        self._thread.start()

    def url(self, database_url: str) -> str:
        """Return *database_url* with its host and port replaced by the proxy's."""
        parts = urlsplit(database_url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.port}" if userinfo else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def freeze(self) -> None:
        """Stop forwarding in both directions; connections stay open, new ones are accepted."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def cut(self) -> None:
        """Close every connection and close new ones at once: a server that went down."""
        self._down.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self._down.clear()

    def close(self) -> None:
        self._stop.set()
        self._flowing.set()
        self.listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            # Frozen, the handshake is not forwarded either: the client waits, as for a stopped
            # server whose kernel still accepts connections.
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        if self._down.is_set():
            client.close()
            return
        while not self._flowing.wait(0.2):
            if self._stop.is_set():
                client.close()
                return
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets += [client, server]
        peers = {client: server, server: client}
        selector = selectors.DefaultSelector()
        for sock in peers:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                if not self._flowing.is_set():
                    self._flowing.wait(0.2)
                    continue
                for key, _ in selector.select(timeout=0.2):
                    if not self._flowing.is_set():
                        break  # frozen between the select and the read: the bytes wait
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    try:
                        data = sock.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        return
                    if not data:
                        return
                    try:  # the peer may have been closed meanwhile by cut() or close()
                        peers[sock].setblocking(True)
                        peers[sock].sendall(data)
                    except OSError:
                        return
                    finally:
                        with suppress(OSError):  # closed meanwhile by close()
                            peers[sock].setblocking(False)
        finally:
            selector.close()
            for sock in peers:
                sock.close()


@contextmanager
def freezable_proxy(target: tuple[str, int] = ("127.0.0.1", 5432)) -> Iterator[FreezableProxy]:
    proxy = FreezableProxy(target)
    try:
        yield proxy
    finally:
        proxy.close()

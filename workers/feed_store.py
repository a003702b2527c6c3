"""The feeds directory: the only code that writes, reads or removes published feed files.

A feed is published as ``<token>.ics``: only whoever holds the token can name the file, and
nginx can map a feed URL onto it without asking the web (it cannot compute a hash). The
directory is created ``0711``, so other local users may open a file whose name they know but
cannot list the directory. A file is written under a temporary name and renamed into place,
so a reader never sees half a feed; unchanged bytes are not rewritten, so the file's
modification time, and with it the ETag, changes exactly when the content does.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from models.feeds.tokens import TOKEN_PATTERN

__all__ = ["FeedFile", "FeedStore", "http_etag"]

log = logging.getLogger(__name__)

_SUFFIX = ".ics"
_TEMP_PREFIX = ".publishing-"


def http_etag(mtime: int, size: int) -> str:
    """Return the ETag nginx gives a static file, so both servers agree on one feed's tag."""
    return f'"{mtime:x}-{size:x}"'


@dataclass(frozen=True)
class FeedFile:
    """What the web needs to answer a request for a published feed without reading it."""

    path: Path
    mtime: int
    size: int

    @property
    def etag(self) -> str:
        return http_etag(self.mtime, self.size)


class FeedStore:
    """The published feeds of one deployment, in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, token: str) -> Path:
        """Return the file of *token*'s feed.

        Raises:
          ValueError: *token* is not shaped like a token (it never reaches the file system).
        """
        if not TOKEN_PATTERN.fullmatch(token):
            raise ValueError("not a feed token")
        return self.directory / f"{token}{_SUFFIX}"

    def stat(self, token: str) -> FeedFile | None:
        """Return the published file of *token*, or None if there is none."""
        try:
            path = self.path(token)
            st = path.stat()
        except (ValueError, FileNotFoundError):
            return None
        return FeedFile(path=path, mtime=int(st.st_mtime), size=st.st_size)

    def publish(self, token: str, body: bytes) -> bool:
        """Write *body* as *token*'s feed; return False if it was published already as is."""
        path = self.path(token)
        self._ensure_directory()
        try:
            previous = path.stat()
        except FileNotFoundError:
            previous = None
        if previous is not None and previous.st_size == len(body) and path.read_bytes() == body:
            return False
        # A second's resolution is all HTTP dates (and nginx's ETag) have: a new version
        # gets a later second than the one it replaces, or clients could keep the old one.
        mtime = int(time.time())
        if previous is not None and mtime <= int(previous.st_mtime):
            mtime = int(previous.st_mtime) + 1
        fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            os.chmod(temp, 0o644)
            os.utime(temp, (mtime, mtime))
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return True

    def remove(self, tokens: Iterable[str]) -> int:
        """Remove the published feeds of *tokens* (revoked ones); return how many existed."""
        removed = 0
        for token in tokens:
            try:
                self.path(token).unlink()
                removed += 1
            except (ValueError, FileNotFoundError):
                continue
        return removed

    def sweep(
        self, live_tokens: set[str], *, known_at: float, temp_older_than: float = 600.0
    ) -> int:
        """Remove every feed file whose token is not live, and abandoned temporary files.

        *live_tokens* were read at *known_at* (a ``time.time()``); a file written since may
        belong to a token issued since, and stays. This is the backstop for rotations whose
        old token cannot be recomputed (another secret key), deactivated people, and workers
        killed mid-write. Returns how many files went.
        """
        if not self.directory.is_dir():
            return 0
        removed = 0
        now = time.time()
        for entry in os.scandir(self.directory):
            name = entry.name
            try:
                modified = entry.stat().st_mtime
            except FileNotFoundError:
                continue
            if name.startswith(_TEMP_PREFIX):
                stale = now - modified > temp_older_than
            else:
                stale = (
                    name.endswith(_SUFFIX)
                    and name[: -len(_SUFFIX)] not in live_tokens
                    and modified < known_at - 1  # mtimes are whole seconds
                )
            if stale:
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
        if removed:
            log.info("feeds: swept %s files of revoked tokens or abandoned writes", removed)
        return removed

    def _ensure_directory(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            os.chmod(self.directory, 0o711)  # noqa: S103 - open by name, never list

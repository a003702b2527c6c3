"""Run the `birge` command and talk to a running portal over HTTP, as the e2e tests do."""

from __future__ import annotations

import http.cookiejar
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

BIRGE = str(Path(sys.executable).with_name("birge"))


class Portal:
    """A browser-less HTTP client with cookies."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, fields: list[tuple[str, str]]) -> str:
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base_url + path, data=data, timeout=10) as response:
            return str(response.url)


def birge(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [BIRGE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_until_healthy(base_url: str, running: dict[str, subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for name, process in running.items():
            assert process.poll() is None, f"birge {name} exited with {process.returncode}"
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    pytest.fail("the portal did not become healthy within 30 s")

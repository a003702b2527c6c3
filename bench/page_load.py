"""Serve the portal under gunicorn, sign in through its form and load a page with wrk: the
requests per second and the p50, p95 and p99 latencies of bench/wrk_report.lua."""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from http_load import free_port

__all__ = ["check_page", "load_page", "serve_portal", "sign_in"]

HERE = Path(__file__).resolve().parent


@contextmanager
def serve_portal(env: dict[str, str], workers: int) -> Iterator[str]:
    """Run the portal under gunicorn (*workers* sync processes, as bench/portal.py) with the
    settings of *env* on a free loopback port; yield its base URL once it answers."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048"]
    process = subprocess.Popen(  # noqa: S603 - our own argv
        [*command, "web:create_app()"], env=env, cwd=HERE.parent
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5):  # noqa: S310
                    break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not answer") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def sign_in(base: str, email: str, password: str) -> str:
    """Sign in through the form (its CSRF token first); return the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    data = {"csrf_token": token.group(1), "email": email, "password": password}
    opener.open(base + "/login", data=urllib.parse.urlencode(data).encode(), timeout=30).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def check_page(url: str, cookie: str) -> None:
    """Stop unless *url* answers 200 to the signed-in *cookie*: refusals measure nothing."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        if response.status != 200 or "/login" in response.url:
            sys.exit(f"{url} answered {response.status} at {response.url}: not signed in?")


def load_page(url: str, cookie: str, seconds: int, connections: int) -> dict[str, float]:
    """Load *url* as the signed-in *cookie* with wrk for *seconds*; return req/s, p50, p95,
    p99 (ms) and errors (non-2xx/3xx answers included)."""
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    command += ["-s", str(HERE / "wrk_report.lua"), "-H", f"Cookie: {cookie}", url]
    output = subprocess.run(  # noqa: S603 - our own argv
        command, capture_output=True, text=True, check=True
    ).stdout
    line = next(row for row in output.splitlines() if row.startswith("BENCH "))
    requests, duration, p50, p95, p99, errors = line.split()[1:]
    return {
        "rps": int(requests) / float(duration),
        "p50": int(p50) / 1000,
        "p95": int(p95) / 1000,
        "p99": int(p99) / 1000,
        "errors": int(errors),
    }

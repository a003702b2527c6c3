"""Start nginx and gunicorn on loopback ports and load them with wrk; used by bench/feeds.py.

nginx (Debian's ``nginx-light``) and ``wrk`` are installed with apt-get when missing (as
root); nothing here listens anywhere but 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Load", "ensure_tools", "free_port", "gunicorn", "nginx", "wrk"]

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def ensure_tools() -> None:
    """Install nginx-light and wrk from the distribution when they are missing."""
    missing = [
        package
        for package, binary in (("nginx-light", "nginx"), ("wrk", "wrk"))
        if not (shutil.which(binary) or Path(f"/usr/sbin/{binary}").exists())
    ]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"bench/feeds.py needs {', '.join(missing)}; install them (apt-get install)")
    print(f"installing {', '.join(missing)} with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
    subprocess.run(  # noqa: S603 - fixed package names
        ["apt-get", "install", "-y", "-qq", *missing],  # noqa: S607
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        # A worker still starting on a loaded machine may take longer than one try waits.
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def _running(command: list[str], probe: str, env: dict[str, str] | None = None) -> Iterator[None]:
    process = subprocess.Popen(  # noqa: S603 - our own argv
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(probe, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


_NGINX_CONF = """
daemon off;
worker_processes {workers};
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    sendfile on;
    tcp_nopush on;
    # The README's location: the token never reaches the access log.
    log_format birge '$remote_addr [$time_local] "$request_method $birge_path" $status '
                     '$body_bytes_sent';
    map $uri $birge_path {{
        ~^/calendars/ /calendars/***.ics;
        default $uri;
    }}
    access_log {work}/access.log birge;
    server {{
        listen 127.0.0.1:{port};
        location ~ "^/calendars/(?<feed_token>[0-9a-f]{{40}})\\.ics$" {{
            root {feeds};
            try_files /$feed_token.ics @birge;
            types {{ }}
            default_type "text/calendar; charset=utf-8";
            add_header Cache-Control "private, no-cache" always;
            add_header Referrer-Policy "no-referrer" always;
        }}
        location @birge {{
            proxy_pass http://127.0.0.1:{web_port};
        }}
        location = /plain/feed.ics {{
            root {plain};
            try_files /feed.ics =404;
            types {{ }}
            default_type "text/calendar; charset=utf-8";
        }}
    }}
}}
"""


@contextmanager
def nginx(
    work: Path, *, feeds: Path, plain: Path, web_port: int, probe_path: str, workers: int = 2
) -> Iterator[int]:
    """Run nginx serving *feeds* (the README's location) and the plain copy in *plain*."""
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(
        _NGINX_CONF.format(
            work=work, port=port, feeds=feeds, plain=plain, web_port=web_port, workers=workers
        )
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    with _running(
        [binary, "-p", str(work), "-c", str(conf)], f"http://127.0.0.1:{port}{probe_path}"
    ):
        yield port


@contextmanager
def gunicorn(app: str, env: dict[str, str], probe_path: str, workers: int = 2) -> Iterator[int]:
    """Run *app* under gunicorn (threaded workers, keep-alive) on a free loopback port."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    with _running(command, f"http://127.0.0.1:{port}{probe_path}", env=env):
        yield port


@dataclass(frozen=True)
class Load:
    """What wrk measured for one URL."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    script_args: Sequence[str] = (),
) -> Load:
    """Load *url* with wrk and return its throughput and latency percentiles. A Lua *script*
    makes the requests (a POST with a body of its own each time), given *script_args*."""
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    if script is not None:
        command[1:1] = ["-s", str(script)]
        command += ["--", *script_args]
    out = subprocess.run(  # noqa: S603 - our own argv
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Load(
        requests_per_second=rps,
        p50_ms=_percentile(out, "50%"),
        p99_ms=_percentile(out, "99%"),
        non_2xx_3xx=int(bad.group(1)) if bad else 0,
    )


def _percentile(out: str, which: str) -> float:
    match = re.search(rf"^\s*{re.escape(which)}\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no {which} latency:\n{out}")
    return float(match.group(1)) * _UNITS[match.group(2)]

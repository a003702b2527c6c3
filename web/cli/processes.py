"""`birge run`, `worker` and `scheduler`: the long-running processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import click
from prometheus_client import start_http_server

from models.core.settings import served_base_url
from web import create_app
from web.assembly import Runtime, build_runtime, run_scheduler, start_worker, tick, worker_engine
from web.cli.base import Context, log, main, pass_context
from web.serving import serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker threads (stub broker only).",
)
@pass_context
def run(ctx: Context, host: str, port: int, threads: int) -> None:
    """Serve the portal; with the stub broker also run the workers and the scheduler here."""
    settings, warning = served_base_url(ctx.require_current_schema(), host, port)
    if warning:
        log.warning("%s", warning)
    log.info("links and feed addresses point to %s", settings.base_url)
    runtime = build_runtime(settings)
    app = create_app(settings, runtime=runtime)
    stop = threading.Event()
    if settings.uses_stub_broker:
        worker = start_worker(runtime, threads=threads)
        scheduler = threading.Thread(
            target=run_scheduler, args=(runtime, stop), name="birge-scheduler", daemon=True
        )
        scheduler.start()
        log.info("embedded mode: %s worker threads and the scheduler run in this process", threads)
    else:
        worker = None
        log.info("web only: run `birge worker` and `birge scheduler` beside it")
    # SIGTERM (systemd, CI) shuts down like Ctrl-C: the worker threads finish their messages.
    _on_signal(_interrupt)
    try:
        serve(app, host, port)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if worker is not None:
            worker.stop()
        runtime.close()


_metrics_port = click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Serve this process's Prometheus metrics on 127.0.0.1:PORT.",
)


def _serve_metrics(runtime: Runtime, port: int | None) -> None:
    if port is None:
        return
    start_http_server(port, addr="127.0.0.1", registry=runtime.metrics.registry)
    log.info("metrics on http://127.0.0.1:%s/metrics", port)


@main.command()
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 32))
@_metrics_port
@pass_context
def worker(ctx: Context, threads: int, processes: int, metrics_port: int | None) -> None:
    """Run Dramatiq workers against BIRGE_BROKER_URL until SIGTERM or Ctrl-C."""
    settings = ctx.settings
    if settings.uses_stub_broker:
        raise click.ClickException(
            "BIRGE_BROKER_URL is stub://: the stub broker lives inside `birge run`; "
            "set an amqp:// URL to run separate workers"
        )
    if processes > 1:
        if metrics_port is not None:
            raise click.ClickException("--metrics-port needs --processes 1 (one port each)")
        _supervise(
            [sys.executable, "-m", "web.cli", "worker", "--threads", str(threads)], processes
        )
        return
    ctx.require_current_schema()
    runtime = build_runtime(settings, worker_engine(settings, threads))
    _serve_metrics(runtime, metrics_port)
    running = start_worker(runtime, threads=threads)
    log.info("worker consuming queue %r with %s threads", settings.queue_name, threads)
    _wait_for_signal()
    log.info("worker stopping")
    running.stop()
    runtime.close()


@main.command()
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@_metrics_port
@pass_context
def scheduler(ctx: Context, once: bool, metrics_port: int | None) -> None:
    """Run the periodic tick that releases due work to the workers."""
    settings = ctx.settings
    if settings.uses_stub_broker:
        raise click.ClickException(
            "BIRGE_BROKER_URL is stub://: the embedded scheduler runs inside `birge run`"
        )
    ctx.require_current_schema()
    runtime = build_runtime(settings)
    if once:
        click.echo(f"nudged {tick(runtime)} notifications")
        runtime.close()
        return
    _serve_metrics(runtime, metrics_port)
    stop = threading.Event()
    _on_signal(stop.set)
    log.info("scheduler ticking every %s s", settings.tick_seconds)
    run_scheduler(runtime, stop)
    runtime.close()


def _on_signal(handler: Callable[[], None]) -> None:
    def _handle(_signum: int, _frame: Any) -> None:
        handler()

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)


def _interrupt() -> None:
    raise KeyboardInterrupt


def _wait_for_signal() -> None:
    stop = threading.Event()
    _on_signal(stop.set)
    # Woken every half second: a signal the kernel hands to another thread only sets a flag
    # that the main thread reads when it runs, and an untimed wait may never run again.
    while not stop.wait(0.5):
        pass


def _supervise(command: list[str], count: int) -> None:
    """Run *count* copies of *command*; forward SIGTERM/SIGINT; exit when they have."""
    children = [subprocess.Popen(command) for _ in range(count)]  # noqa: S603 - our own argv

    def _stop() -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    _on_signal(_stop)
    codes = [child.wait() for child in children]
    if any(codes):
        sys.exit(max(codes))

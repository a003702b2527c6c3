"""The ``birge`` command: database, demo district, the processes, users and feed URLs."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from models.settings import SETTINGS_HELP, Settings, SettingsError, load_settings

__all__ = ["main"]

log = logging.getLogger("birge")


def _settings_epilog() -> str:
    lines = ["Settings (environment variables):"]
    lines += [
        f"  {name}  {meaning} [default: {default}]"
        for name, (default, meaning) in SETTINGS_HELP.items()
    ]
    return "\n".join(lines)


class _Context:
    """Loads the settings on first use, so that ``--help`` works with a broken environment."""

    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings()
            except SettingsError as exc:
                raise click.ClickException(f"configuration: {exc}") from None
        return self._settings

    def require_current_schema(self) -> Settings:
        """Return the settings once the database is known to be migrated to the newest schema."""
        import migrations

        settings = self.settings
        try:
            current = migrations.is_current(settings.database_url)
        except SQLAlchemyError as exc:
            raise click.ClickException(
                f"cannot reach the database ({type(exc).__name__}); check BIRGE_DATABASE_URL"
            ) from None
        if not current:
            raise click.ClickException(
                "the database schema is not the newest one: run `birge db upgrade` first"
            )
        return settings


pass_context = click.make_pass_decorator(_Context, ensure=True)


@click.group(epilog=_settings_epilog(), context_settings={"max_content_width": 110})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Birge: coordination portal of a district's interagency child-protection unit."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pika is chatty at INFO about every connection.
    logging.getLogger("pika").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


@main.group()
def db() -> None:
    """Create or change the database schema (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_context
def db_upgrade(ctx: _Context, revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    import migrations

    migrations.upgrade(ctx.settings.database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
@pass_context
def db_downgrade(ctx: _Context, revision: str) -> None:
    """Downgrade the database to REVISION ('base' removes every table)."""
    import migrations

    migrations.downgrade(ctx.settings.database_url, revision)
    click.echo(f"database at {revision}")


@main.command()
@pass_context
def demo(ctx: _Context) -> None:
    """Load the demo district (idempotent) and print its logins."""
    from models.db import make_engine, session_scope
    from models.demo import DEMO_PASSWORD, load_demo

    engine = make_engine(ctx.require_current_schema().database_url)
    with session_scope(engine) as session:
        logins = load_demo(session, ctx.settings)
    click.echo(f"Demo district loaded. Logins (password for all: {DEMO_PASSWORD}):")
    for email, role, agency in logins:
        click.echo(f"  {email:<34} {role:<12} {agency}")


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
def run(ctx: _Context, host: str, port: int, threads: int) -> None:
    """Serve the portal; with the stub broker also run the workers and the scheduler here."""
    from web import create_app
    from web.serving import serve
    from workers.runtime import build_runtime, run_scheduler, start_worker

    settings = ctx.require_current_schema()
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


@main.command()
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 32))
@pass_context
def worker(ctx: _Context, threads: int, processes: int) -> None:
    """Run Dramatiq workers against BIRGE_BROKER_URL until SIGTERM or Ctrl-C."""
    settings = ctx.settings
    if settings.uses_stub_broker:
        raise click.ClickException(
            "BIRGE_BROKER_URL is stub://: the stub broker lives inside `birge run`; "
            "set an amqp:// URL to run separate workers"
        )
    if processes > 1:
        _supervise(
            [sys.executable, "-m", "web.cli", "worker", "--threads", str(threads)], processes
        )
        return
    from workers.runtime import build_runtime, start_worker

    ctx.require_current_schema()
    runtime = build_runtime(settings)
    running = start_worker(runtime, threads=threads)
    log.info("worker consuming queue %r with %s threads", settings.queue_name, threads)
    _wait_for_signal()
    log.info("worker stopping")
    running.stop()
    runtime.broker.close()


@main.command()
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@pass_context
def scheduler(ctx: _Context, once: bool) -> None:
    """Run the periodic tick that releases due work to the workers."""
    from workers.runtime import build_runtime, run_scheduler, tick

    settings = ctx.settings
    if settings.uses_stub_broker:
        raise click.ClickException(
            "BIRGE_BROKER_URL is stub://: the embedded scheduler runs inside `birge run`"
        )
    ctx.require_current_schema()
    runtime = build_runtime(settings)
    if once:
        click.echo(f"nudged {tick(runtime)} notifications")
        return
    stop = threading.Event()
    _on_signal(stop.set)
    log.info("scheduler ticking every %s s", settings.tick_seconds)
    run_scheduler(runtime, stop)
    runtime.broker.close()


@main.group()
def user() -> None:
    """Manage user accounts."""


@user.command("create")
@click.argument("email")
@click.option("--agency", "agency_slug", required=True, help="Slug of the user's agency.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "chair", "coordinator", "member"]),
)
@click.option("--name", "full_name", default="", help="Full name (default: the email).")
@click.option("--locale", default="ru", show_default=True, type=click.Choice(["ru", "kk", "en"]))
@pass_context
def user_create(
    ctx: _Context, email: str, agency_slug: str, role: str, full_name: str, locale: str
) -> None:
    """Create a user; the password is read from standard input, or asked for."""
    from models.accounts import AccountError, create_user
    from models.db import make_engine, session_scope
    from models.people import Agency

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    engine = make_engine(ctx.settings.database_url)
    try:
        with session_scope(engine) as session:
            agency = session.scalars(select(Agency).where(col(Agency.slug) == agency_slug)).first()
            if agency is None:
                raise click.ClickException(f"no agency with slug {agency_slug!r}")
            created = create_user(
                session,
                email=email,
                agency=agency,
                role=role,
                full_name=full_name or email,
                locale=locale,
                password=password,
            )
            click.echo(f"created user {created.email} ({role}, {agency.slug})")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("feed-url")
@click.argument("agency_slug", required=False)
@click.option("--rotate", is_flag=True, help="Revoke the current URL and issue a new one.")
@pass_context
def feed_url_command(ctx: _Context, agency_slug: str | None, rotate: bool) -> None:
    """Print an agency's feed subscription URL (one line per agency without a slug)."""
    from models.db import make_engine, session_scope
    from models.feeds import feed_token, feed_url, rotate_feed
    from models.people import Agency
    from workers.feed_store import FeedStore

    settings = ctx.settings
    engine = make_engine(settings.database_url)
    revoked: list[str] = []
    with session_scope(engine) as session:
        query = select(Agency).order_by(col(Agency.slug))
        if agency_slug:
            query = query.where(col(Agency.slug) == agency_slug)
        agencies = list(session.scalars(query))
        if agency_slug and not agencies:
            raise click.ClickException(f"no agency with slug {agency_slug!r}")
        if rotate and not agency_slug:
            raise click.ClickException("--rotate needs an agency slug")
        lines = []
        for agency in agencies:
            try:
                if rotate:
                    rotation = rotate_feed(session, settings.secret_key, agency=agency)
                    token = rotation.token
                    revoked += rotation.revoked
                else:
                    token = feed_token(session, agency, settings.secret_key)
            except LookupError as exc:
                raise click.ClickException(
                    f"{exc}; run `birge feed-url {agency.slug} --rotate`"
                ) from None
            url = feed_url(settings, token)
            lines.append(url if agency_slug else f"{agency.slug} {url}")
    # Committed: now the old address's published file goes too.
    FeedStore(settings.feeds_path).remove(revoked)
    for line in lines:
        click.echo(line)


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
    stop.wait()


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


if __name__ == "__main__":
    main()

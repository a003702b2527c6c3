"""`birge db` and `birge demo`: the schema and the demo district."""

from __future__ import annotations

import click

import migrations
from models.core.db import make_engine, session_scope
from models.core.settings import served_base_url
from models.demo.district import DEMO_PASSWORD, load_demo
from web.cli.base import Context, main, pass_context


@main.group()
def db() -> None:
    """Create or change the database schema (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    migrations.upgrade(ctx.settings.database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
@pass_context
def db_downgrade(ctx: Context, revision: str) -> None:
    """Downgrade the database to REVISION ('base' removes every table)."""
    migrations.downgrade(ctx.settings.database_url, revision)
    click.echo(f"database at {revision}")


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address `birge run` will serve on."
)
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port `birge run` will serve on: without BIRGE_BASE_URL the demo's links use it.",
)
@pass_context
def demo(ctx: Context, host: str, port: int) -> None:
    """Load the demo district (idempotent) and print its logins."""
    settings, _warning = served_base_url(ctx.require_current_schema(), host, port)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        logins = load_demo(session, settings)
    click.echo(f"Demo district loaded. Logins (password for all: {DEMO_PASSWORD}):")
    for email, role, agency in logins:
        click.echo(f"  {email:<34} {role:<12} {agency}")

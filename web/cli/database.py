"""`birge db` and `birge demo`: the schema and the demo district."""

from __future__ import annotations

import click

import migrations
from models.core.db import make_engine, session_scope
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
@pass_context
def demo(ctx: Context) -> None:
    """Load the demo district (idempotent) and print its logins."""
    engine = make_engine(ctx.require_current_schema().database_url)
    with session_scope(engine) as session:
        logins = load_demo(session, ctx.settings)
    click.echo(f"Demo district loaded. Logins (password for all: {DEMO_PASSWORD}):")
    for email, role, agency in logins:
        click.echo(f"  {email:<34} {role:<12} {agency}")

"""`birge api-token`: the tokens other systems call the API with."""

from __future__ import annotations

import click

from models.core.base import utcnow
from models.core.db import make_engine, session_scope
from models.integrations.tokens import (
    IntegrationError,
    Scope,
    create_integration,
    integrations,
    revoke_integration,
)
from web.cli.base import Context, main, pass_context


@main.group("api-token")
def api_token() -> None:
    """Manage the integration tokens of the intake API."""


@api_token.command("create")
@click.argument("name")
@click.option("--district", "district_id", required=True, type=int, help="The district's id.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice([s.value for s in Scope]),
    help="What the token may do (repeatable; both when none is named).",
)
@pass_context
def create(ctx: Context, name: str, district_id: int, scopes: tuple[str, ...]) -> None:
    """Make an integration and print its token, once, on the last line."""
    engine = make_engine(ctx.settings.database_url)
    try:
        with session_scope(engine) as session:
            issued = create_integration(
                session, name=name, district_id=district_id, scopes=[Scope(s) for s in scopes]
            )
            scope_list = issued.integration.scopes
    except IntegrationError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(f"created integration {name} (district {district_id}, {scope_list})")
    click.echo("the token is shown only now; store it in the calling system:")
    click.echo(issued.token)


@api_token.command("list")
@pass_context
def list_tokens(ctx: Context) -> None:
    """One line per integration: name, district, scopes, state, last use."""
    engine = make_engine(ctx.settings.database_url)
    try:
        with session_scope(engine) as session:
            lines = [
                " ".join(
                    (
                        i.name,
                        f"district={i.district_id}",
                        f"scopes={i.scopes.replace(' ', ',')}",
                        "revoked" if i.revoked_at else "live",
                        "last-used=" + (i.last_used_at.isoformat() if i.last_used_at else "never"),
                    )
                )
                for i in integrations(session)
            ]
    finally:
        engine.dispose()
    for line in lines:
        click.echo(line)


@api_token.command("revoke")
@click.argument("name")
@pass_context
def revoke(ctx: Context, name: str) -> None:
    """Revoke an integration's token: refused from now on."""
    engine = make_engine(ctx.settings.database_url)
    try:
        with session_scope(engine) as session:
            revoke_integration(session, name, now=utcnow())
    except IntegrationError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(f"revoked {name}")

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
from models.integrations.webhooks import clear_webhook, set_webhook
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
                        "webhook=" + (i.webhook_url or "none"),
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


@api_token.command("webhook")
@click.argument("name")
@click.argument("url", required=False)
@click.option("--clear", is_flag=True, help="Stop posting events; the waiting ones are voided.")
@pass_context
def webhook(ctx: Context, name: str, url: str | None, clear: bool) -> None:
    """Post the events of the integration's cases to URL (https://, a public address), and
    print the new signing secret, once, on the last line; or --clear the webhook."""
    if clear == (url is not None):
        raise click.UsageError("give either URL or --clear")
    engine = make_engine(ctx.settings.database_url)
    try:
        with session_scope(engine) as session:
            if url is None:
                clear_webhook(session, name, now=utcnow())
                secret = None
            else:
                registered = set_webhook(
                    session,
                    name,
                    url,
                    allow_loopback=ctx.settings.webhook_allow_loopback,
                    now=utcnow(),
                )
                url, secret = registered.integration.webhook_url, registered.secret
    except IntegrationError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    if secret is None:
        click.echo(f"cleared the webhook of {name}; its events not posted yet are voided")
        return
    click.echo(f"events of the cases {name} opens are posted to {url}")
    click.echo("the signing secret is shown only now; the receiver verifies with it:")
    click.echo(secret)

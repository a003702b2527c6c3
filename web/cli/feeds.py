"""`birge feed-url`: the agencies' calendar subscription addresses."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlmodel import col

from models.core.db import make_engine, session_scope
from models.feeds.tokens import feed_token, feed_url, rotate_feed
from models.people.tables import Agency
from web.assembly import remove_published_feeds
from web.cli.base import Context, main, pass_context


@main.command("feed-url")
@click.argument("agency_slug", required=False)
@click.option("--rotate", is_flag=True, help="Revoke the current URL and issue a new one.")
@pass_context
def feed_url_command(ctx: Context, agency_slug: str | None, rotate: bool) -> None:
    """Print an agency's feed subscription URL (one line per agency without a slug)."""
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
    remove_published_feeds(settings, revoked)
    for line in lines:
        click.echo(line)

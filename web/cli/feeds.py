"""`birge feed-url`: the agencies' calendar subscription addresses."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlmodel import col

from models.core.db import make_engine, session_scope
from models.feeds.tokens import feed_token, feed_url, rotate_feed
from models.people.districts import AgencyLookupError, agency_by_slug
from models.people.tables import Agency
from web.assembly import remove_published_feeds
from web.cli.base import Context, agency_problem, main, pass_context


@main.command("feed-url")
@click.argument("agency_slug", required=False)
@click.option(
    "--district",
    "district_id",
    type=int,
    default=None,
    help="The agency's district (needed where several districts have the slug).",
)
@click.option("--rotate", is_flag=True, help="Revoke the current URL and issue a new one.")
@pass_context
def feed_url_command(
    ctx: Context, agency_slug: str | None, district_id: int | None, rotate: bool
) -> None:
    """Print an agency's feed subscription URL. Without a slug, one line per agency (of the
    district given): its slug and URL, after its district's id where there are several."""
    settings = ctx.settings
    engine = make_engine(settings.database_url)
    revoked: list[str] = []
    with session_scope(engine) as session:
        if agency_slug:
            try:
                agencies = [agency_by_slug(session, agency_slug, district_id)]
            except AgencyLookupError as exc:
                raise click.ClickException(agency_problem(exc, agency_slug, district_id)) from None
        else:
            query = select(Agency).order_by(col(Agency.district_id), col(Agency.slug))
            if district_id is not None:
                query = query.where(col(Agency.district_id) == district_id)
            agencies = list(session.scalars(query))
        several = len({a.district_id for a in agencies}) > 1
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
            key = f"{agency.district_id} {agency.slug}" if several else agency.slug
            lines.append(url if agency_slug else f"{key} {url}")
    # Committed: now the old address's published file goes too.
    remove_published_feeds(settings, revoked)
    for line in lines:
        click.echo(line)

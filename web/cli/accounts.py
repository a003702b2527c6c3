"""`birge user`: user accounts."""

from __future__ import annotations

import sys

import click

from models.core.db import make_engine, session_scope
from models.people.accounts import AccountError, create_user
from models.people.districts import AgencyLookupError, agency_by_slug, find_region
from models.people.tables import Role
from web.cli.base import Context, agency_problem, main, pass_context


@main.group()
def user() -> None:
    """Manage user accounts."""


@user.command("create")
@click.argument("email")
@click.option(
    "--agency", "agency_slug", default=None, help="Slug of the user's agency (a district's staff)."
)
@click.option(
    "--district",
    "district_id",
    type=int,
    default=None,
    help="The agency's district (needed where several districts have the slug).",
)
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="A district's staff (admin, chair, coordinator, member) need --agency; a regional"
    " viewer (regional) --region; a deployment administrator (deployment) neither.",
)
@click.option(
    "--region",
    "region_name",
    default=None,
    help="The region a regional viewer sees (its Russian or Kazakh name).",
)
@click.option("--name", "full_name", default="", help="Full name (default: the email).")
@click.option("--locale", default="ru", show_default=True, type=click.Choice(["ru", "kk", "en"]))
@pass_context
def user_create(
    ctx: Context,
    email: str,
    agency_slug: str | None,
    district_id: int | None,
    role: str,
    region_name: str | None,
    full_name: str,
    locale: str,
) -> None:
    """Create a user; the password is read from standard input, or asked for."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    engine = make_engine(ctx.settings.database_url)
    try:
        with session_scope(engine) as session:
            agency = agency_by_slug(session, agency_slug, district_id) if agency_slug else None
            region = None
            if region_name is not None:
                region = find_region(session, region_name)
                if region is None:
                    raise click.ClickException(f"there is no region {region_name!r}")
            created = create_user(
                session,
                email=email,
                agency=agency,
                region=region,
                role=role,
                full_name=full_name or email,
                locale=locale,
                password=password,
            )
            place = agency.slug if agency else region.name_ru if region else "the deployment"
            click.echo(f"created user {created.email} ({role}, {place})")
    except AgencyLookupError as exc:
        raise click.ClickException(agency_problem(exc, agency_slug or "", district_id)) from None
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()

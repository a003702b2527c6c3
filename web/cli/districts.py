"""`birge district`: the districts of a deployment, each in its region."""

from __future__ import annotations

import click

from models.core.db import make_engine, session_scope
from models.people.districts import DistrictDraft, DistrictError, create_district, list_districts
from web.cli.base import Context, main, pass_context


@main.group()
def district() -> None:
    """Manage the districts (and their regions) of this deployment."""


@district.command("create")
@click.option("--region", required=True, help="The region's name (Russian or Kazakh); new: made.")
@click.option("--region-kk", default="", help="A new region's Kazakh name.")
@click.option("--name-ru", required=True, help="The district's name in Russian.")
@click.option("--name-kk", required=True, help="The district's name in Kazakh.")
@click.option(
    "--case-prefix",
    required=True,
    help="What its case codes start with: one to four Latin capitals, e.g. B (B-2026-0001).",
)
@click.option("--timezone", default="Asia/Almaty", show_default=True)
@pass_context
def create(
    ctx: Context,
    region: str,
    region_kk: str,
    name_ru: str,
    name_kk: str,
    case_prefix: str,
    timezone: str,
) -> None:
    """Add a district with its akimat's agency (slug ``akimat``); print its id last."""
    settings = ctx.require_current_schema()
    engine = make_engine(settings.database_url)
    draft = DistrictDraft(
        region=region,
        region_kk=region_kk,
        name_ru=name_ru,
        name_kk=name_kk,
        case_prefix=case_prefix,
        timezone=timezone,
    )
    try:
        with session_scope(engine) as session:
            made = create_district(session, draft)
            district_id = made.id
    except DistrictError as exc:
        raise click.ClickException(f"{exc.field}: {exc}") from None
    finally:
        engine.dispose()
    click.echo(
        f"created district {name_ru!r} in {region!r}; its first administrator: "
        f"birge user create EMAIL --district {district_id} --agency akimat --role admin"
    )
    click.echo(str(district_id))


@district.command("list")
@pass_context
def list_command(ctx: Context) -> None:
    """One line per district: id, case-code prefix, region, name, agencies."""
    settings = ctx.require_current_schema()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            lines = [
                f"{d.district.id} {d.district.case_prefix} "
                f"region={d.region.name_ru if d.region else '-'!r} "
                f"name={d.district.name_ru!r} agencies={d.agencies}"
                for d in list_districts(session)
            ]
    finally:
        engine.dispose()
    for line in lines:
        click.echo(line)

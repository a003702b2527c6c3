"""The ``birge`` group, its lazily loaded settings and the one-line error of bad input."""

from __future__ import annotations

import logging

import click
from sqlalchemy.exc import SQLAlchemyError

import migrations
from models.core.marks import install_change_marks
from models.core.settings import SETTINGS_HELP, Settings, SettingsError, load_settings
from models.people.districts import AgencyLookupError

__all__ = [
    "BadInput",
    "Context",
    "OneLineErrors",
    "agency_problem",
    "log",
    "main",
    "pass_context",
]

log = logging.getLogger("birge")


class BadInput(click.ClickException):
    """Bad input on the command line: one line on standard error, exit status 2."""

    exit_code = 2


class OneLineErrors(click.Command):
    """A command whose usage errors (a missing option, a bad number) are one line, status 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise BadInput(exc.format_message()) from None


def _settings_epilog() -> str:
    lines = ["Settings (environment variables):"]
    lines += [
        f"  {name}  {meaning} [default: {default}]"
        for name, (default, meaning) in SETTINGS_HELP.items()
    ]
    return "\n".join(lines)


class Context:
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


pass_context = click.make_pass_decorator(Context, ensure=True)


def agency_problem(error: AgencyLookupError, slug: str, district_id: int | None) -> str:
    """What the command line says when ``--agency`` (and ``--district``) name no one agency."""
    if error.field == "district":
        return (
            f"several districts have an agency {slug!r}: add --district ID "
            "(`birge district list` shows the ids)"
        )
    where = f" in district {district_id}" if district_id is not None else ""
    return f"no agency with slug {slug!r}{where}"


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
    install_change_marks()  # what a command commits shows on the portal's next page view

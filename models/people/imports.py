"""Import agencies and staff from a CSV file: a preview with a per-row error report, then the
valid rows.

Agencies: ``slug,kind,name_ru,name_kk,name_en,head_email,head_locale``. Staff:
``email,full_name,role,agency,locale`` where ``agency`` is an agency's slug. The header row
names the columns (any order; ``name_en``, ``head_email``, ``head_locale`` and ``locale`` may
be left out; a language left out is Russian).
Commas, semicolons (Excel in Russian) and tabs separate; UTF-8, with or without BOM, or
Windows-1251. Each valid row goes through the same operation as the portal's forms.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from models.core.errors import DomainError
from models.core.i18n import DEFAULT_LOCALE, N_
from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.people.administration import (
    AdminError,
    AgencyChange,
    UserChange,
    check_agency,
    check_staff,
    create_agency,
    create_staff,
    may_manage_agencies,
)
from models.people.districts import AgencyLookupError, agency_by_slug
from models.people.tables import DISTRICT_ROLES, Agency, User

__all__ = [
    "MAX_ROWS",
    "CsvImportError",
    "ImportKind",
    "ImportPreview",
    "ImportRow",
    "RowError",
    "apply_import",
    "preview_import",
]

MAX_ROWS = 2000


class ImportKind(StrEnum):
    AGENCIES = "agencies"
    STAFF = "staff"


COLUMNS: dict[ImportKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # (required, optional)
    ImportKind.AGENCIES: (
        ("slug", "kind", "name_ru", "name_kk"),
        ("name_en", "head_email", "head_locale"),
    ),
    ImportKind.STAFF: (("email", "full_name", "role", "agency"), ("locale",)),
}


class CsvImportError(DomainError):
    """The file as a whole cannot be read."""


@dataclass(frozen=True)
class RowError:
    """What is wrong in a row: the column, an English message id and its parameters."""

    column: str
    message: str
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass
class ImportRow:
    line: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    kind: ImportKind
    columns: tuple[str, ...]
    rows: list[ImportRow]

    @property
    def valid(self) -> list[ImportRow]:
        return [r for r in self.rows if r.ok]

    @property
    def invalid(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]


def decode_csv(data: bytes) -> str:
    """Decode an uploaded file: UTF-8 (with or without BOM), else Windows-1251."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def _read(text: str, kind: ImportKind) -> tuple[tuple[str, ...], list[tuple[int, dict[str, str]]]]:
    if "\x00" in text:
        raise CsvImportError(N_("This is not a CSV file."), "file")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise CsvImportError(N_("The file is empty."), "file")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(lines[0], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = tuple(h.strip().lower() for h in next(reader))
        required, optional = COLUMNS[kind]
        missing = [c for c in required if c not in header]
        if missing:
            raise CsvImportError(
                N_("The first row must name the columns, as in the example."), "file"
            )
        known = [h for h in header if h in required + optional]
        rows: list[tuple[int, dict[str, str]]] = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvImportError(N_("The file has more than 2000 rows; split it."), "file")
            values = {
                h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(header)
            }
            rows.append((reader.line_num, {k: values.get(k, "") for k in known}))
    except csv.Error:
        raise CsvImportError(N_("This is not a CSV file."), "file") from None
    if not rows:
        raise CsvImportError(N_("The file has no rows under its header."), "file")
    return tuple(known), rows


def preview_import(session: Session, actor: User, kind: ImportKind, text: str) -> ImportPreview:
    """Check every row of *text* without writing anything.

    Raises:
      CsvImportError: the file as a whole is unreadable (no header, not CSV, too long).
      PermissionError: *actor* may not import this kind.
    """
    columns, records = _read(text, kind)
    rows = [ImportRow(line, values) for line, values in records]
    for row in rows:
        unknown = _unknown_role(kind, row)
        if unknown is not None:
            row.errors.append(unknown)
            continue
        try:
            _check_row(session, actor, kind, row.values)
        except AdminError as exc:
            row.errors.append(RowError(exc.field or "", exc.message))
    _mark_duplicates(rows, "slug" if kind is ImportKind.AGENCIES else "email")
    return ImportPreview(kind=kind, columns=columns, rows=rows)


def _unknown_role(kind: ImportKind, row: ImportRow) -> RowError | None:
    """Name a staff row's role that is no role at all, with the roles there are: a typo is
    not a matter of permission."""
    role = row.values.get("role", "").lower()
    if kind is not ImportKind.STAFF or role in {r.value for r in DISTRICT_ROLES}:
        return None
    return RowError(
        "role",
        N_("Unknown role “%(role)s” on line %(line)s; the roles are: %(roles)s."),
        {"role": row.values.get("role", ""), "line": row.line, "roles": ", ".join(DISTRICT_ROLES)},
    )


def _mark_duplicates(rows: Sequence[ImportRow], key: str) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        value = row.values.get(key, "").lower()
        if value in seen and row.ok:
            row.errors.append(RowError(key, N_("This value appears twice in the file.")))
        seen.setdefault(value, row.line)


def apply_import(
    session: Session,
    settings: Settings,
    actor: User,
    kind: ImportKind,
    text: str,
    *,
    now: datetime | None = None,
) -> tuple[ImportPreview, list[Notification]]:
    """Import the valid rows of *text*; return the report and the emails to nudge.

    Nothing is committed: the caller commits.
    """
    preview = preview_import(session, actor, kind, text)
    notifications: list[Notification] = []
    for row in preview.valid:
        created = _apply_row(session, settings, actor, kind, row.values, now=now)
        if created is not None:
            notifications.append(created)
    session.flush()
    return preview, notifications


def _agency_change(values: dict[str, str]) -> AgencyChange:
    return AgencyChange(
        slug=values.get("slug", "").lower(),
        kind=values.get("kind", "").lower(),
        name_ru=values.get("name_ru", ""),
        name_kk=values.get("name_kk", ""),
        name_en=values.get("name_en", ""),
        head_email=values.get("head_email", ""),
        head_locale=values.get("head_locale", "").lower() or DEFAULT_LOCALE,
    )


def _user_change(session: Session, actor: User, values: dict[str, str]) -> UserChange:
    """The row's account, in the agency its slug names in the importing person's district."""
    try:
        agency = agency_by_slug(session, values.get("agency", ""), _district_id(session, actor))
    except AgencyLookupError as error:
        raise AdminError(error.message, "agency") from None
    return UserChange(
        email=values.get("email", ""),
        full_name=values.get("full_name", ""),
        role=values.get("role", "").lower(),
        locale=values.get("locale", "").lower() or "ru",
        agency_id=agency.id or 0,
    )


def _district_id(session: Session, actor: User) -> int:
    agency = session.get(Agency, actor.agency_id)
    assert agency is not None
    return agency.district_id


def _check_row(session: Session, actor: User, kind: ImportKind, values: dict[str, str]) -> None:
    if kind is ImportKind.AGENCIES:
        if not may_manage_agencies(actor):
            raise AdminError(N_("Only administrators add agencies."), "slug")
        check_agency(session, _agency_change(values), _district_id(session, actor))
    else:
        check_staff(session, actor, _user_change(session, actor, values))


def _apply_row(
    session: Session,
    settings: Settings,
    actor: User,
    kind: ImportKind,
    values: dict[str, str],
    *,
    now: datetime | None = None,
) -> Notification | None:
    if kind is ImportKind.AGENCIES:
        create_agency(session, actor, _agency_change(values))
        return None
    _user, notification = create_staff(
        session, settings, actor, _user_change(session, actor, values), now=now
    )
    return notification

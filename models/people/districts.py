"""Regions and their districts on one deployment, and naming an agency by its slug where no
district's page says which district is meant (the CLI, a CSV import, an API).

A slug names an agency within its district (every district has its own ``police``). Outside a
district's own pages a slug is qualified by the district; where it is not, it must name exactly
one agency of the deployment, and two districts sharing it is a clear error, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.core.audit import record_event
from models.core.errors import DomainError
from models.core.i18n import N_
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls
from models.people.tables import (
    CASE_PREFIX_PATTERN,
    Agency,
    AgencyKind,
    District,
    Region,
    Role,
    User,
)

__all__ = [
    "AKIMAT_SLUG",
    "AgencyLookupError",
    "DistrictDraft",
    "DistrictError",
    "DistrictListing",
    "agency_by_slug",
    "create_district",
    "district_akimat",
    "find_region",
    "list_districts",
    "list_regions",
    "regional_viewers",
]

MAX_NAME_LENGTH = 200


class DistrictError(DomainError):
    """A new district (or its region) is refused."""


class AgencyLookupError(DomainError):
    """A slug names no agency, or several districts' agencies and no district was given."""


@dataclass(frozen=True)
class DistrictDraft:
    """A new district: its region (found by its Russian or Kazakh name, made when new), its
    names, its case-code prefix and its time zone."""

    region: str
    name_ru: str
    name_kk: str
    case_prefix: str
    timezone: str = "Asia/Almaty"
    #: The new region's Kazakh name, when the region is new (else the name given).
    region_kk: str = ""


@dataclass(frozen=True)
class DistrictListing:
    district: District
    region: Region | None
    agencies: int
    #: Its active administrators (a new district has none until its first is made).
    administrators: int = 0


def _check_name(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise DistrictError(N_("This field is required."), field)
    if len(value) > MAX_NAME_LENGTH:
        raise DistrictError(N_("This text is too long."), field)
    if has_forbidden_controls(value):
        raise DistrictError(CONTROL_CHARACTERS_MESSAGE, field)
    return value


def find_region(session: Session, name: str) -> Region | None:
    """The region called *name* (in Russian or Kazakh, whatever the letter case), if any.

    Compared here, not in SQL: SQLite's ``lower()`` knows only ASCII, and a country has twenty
    regions."""
    wanted = name.strip().casefold()
    for region in session.scalars(select(Region)):
        if wanted in (region.name_ru.casefold(), region.name_kk.casefold()):
            return region
    return None


def list_regions(session: Session) -> list[Region]:
    """Every region of the deployment, by Russian name."""
    return list(session.scalars(select(Region).order_by(col(Region.name_ru))))


def _region(session: Session, name: str, name_kk: str) -> tuple[Region, bool]:
    """The region called *name*, or a new one."""
    found = find_region(session, name)
    if found is not None:
        return found, False
    region = Region(name_ru=name, name_kk=name_kk or name)
    session.add(region)
    session.flush()
    return region, True


#: The agency every new district starts with: the akimat, where its chair and first
#: administrator sit (renamed on its page as the district likes).
AKIMAT_SLUG = "akimat"


def create_district(
    session: Session, draft: DistrictDraft, *, created_by: int | None = None
) -> District:
    """Add a district to its region (the region too, when it is new), with its akimat.

    The district starts with no person: its first administrator is made with
    ``birge user create --district ID --agency akimat``. Working hours are the defaults.

    Raises:
      DistrictError: a name is empty, too long or holds control characters; the prefix is not
        one to four Latin capitals or is another district's; the time zone is unknown.
    """
    region_name = _check_name(draft.region, "region")
    region_kk = _check_name(draft.region_kk, "region_kk") if draft.region_kk.strip() else ""
    name_ru = _check_name(draft.name_ru, "name_ru")
    name_kk = _check_name(draft.name_kk, "name_kk")
    prefix = draft.case_prefix.strip().upper()
    if not CASE_PREFIX_PATTERN.match(prefix):
        raise DistrictError(N_("A case-code prefix is one to four Latin capitals."), "case_prefix")
    taken = session.scalars(select(District).where(col(District.case_prefix) == prefix)).first()
    if taken is not None:
        raise DistrictError(N_("Another district's case codes start so already."), "case_prefix")
    try:
        ZoneInfo(draft.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise DistrictError(N_("This time zone is unknown."), "timezone") from error
    region, new_region = _region(session, region_name, region_kk)
    district = District(
        region_id=region.id,
        name_ru=name_ru,
        name_kk=name_kk,
        case_prefix=prefix,
        timezone=draft.timezone,
    )
    session.add(district)
    session.flush()
    session.add(
        Agency(
            district_id=district.id,  # type: ignore[arg-type]
            slug=AKIMAT_SLUG,
            kind=AgencyKind.AKIMAT.value,
            name_ru=f"Аппарат акима ({name_ru})",
            name_kk=f"Әкім аппараты ({name_kk})",
            name_en=f"Akim's office ({name_ru})",
        )
    )
    session.flush()
    if new_region:
        record_event(
            session,
            user_id=created_by,
            action="region.created",
            object_type="region",
            object_id=region.id,
        )
    record_event(
        session,
        user_id=created_by,
        action="district.created",
        object_type="district",
        object_id=district.id,
        detail=f"region={region.id} prefix={prefix}",
    )
    return district


def list_districts(session: Session) -> list[DistrictListing]:
    """Every district of the deployment with its region and how many agencies and active
    administrators it has, by id."""
    counts = dict(
        session.execute(
            select(col(Agency.district_id), func.count()).group_by(col(Agency.district_id))
        ).all()
    )
    administrators = dict(
        session.execute(
            select(col(Agency.district_id), func.count())
            .join(User, col(User.agency_id) == col(Agency.id))
            .where(col(User.role) == Role.ADMIN.value, col(User.active) == True)  # noqa: E712
            .group_by(col(Agency.district_id))
        ).all()
    )
    regions = {r.id: r for r in session.scalars(select(Region))}
    return [
        DistrictListing(
            d, regions.get(d.region_id), counts.get(d.id, 0), administrators.get(d.id, 0)
        )
        for d in session.scalars(select(District).order_by(col(District.id)))
    ]


def regional_viewers(session: Session) -> dict[int, int]:
    """How many active regional viewers each region has, by region id."""
    return dict(
        session.execute(
            select(col(User.region_id), func.count())
            .where(col(User.role) == Role.REGIONAL.value, col(User.active) == True)  # noqa: E712
            .group_by(col(User.region_id))
        ).all()
    )


def district_akimat(session: Session, district_id: int | None) -> Agency | None:
    """The district's akimat, where its chair and administrators sit (found by its kind: its
    slug, ``akimat`` when the district was made, may have been changed since)."""
    return session.scalars(
        select(Agency)
        .where(col(Agency.district_id) == district_id)
        .where(col(Agency.kind) == AgencyKind.AKIMAT.value)
        .order_by(col(Agency.id))
    ).first()


def agency_by_slug(session: Session, slug: str, district_id: int | None = None) -> Agency:
    """Return the agency *slug* names: in *district_id* when given, else the only agency of the
    deployment with that slug.

    Raises:
      AgencyLookupError: no such agency (in that district); or several districts have an agency
        with that slug and no district was given.
    """
    query = select(Agency).where(col(Agency.slug) == slug.strip().lower())
    if district_id is not None:
        query = query.where(col(Agency.district_id) == district_id)
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise AgencyLookupError(N_("There is no agency with this short name."), "agency")
    if len(found) > 1:
        raise AgencyLookupError(
            N_("Several districts have an agency with this short name: name the district."),
            "district",
        )
    return found[0]

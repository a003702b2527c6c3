"""The district, its agencies and the people who sign in."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, time
from enum import StrEnum
from functools import cache

from sqlalchemy import CheckConstraint, Date, String, Time, UniqueConstraint
from sqlmodel import Field, SQLModel
from werkzeug.security import check_password_hash, generate_password_hash

from models.core.base import utc_field, utcnow
from models.core.i18n import DEFAULT_LOCALE

__all__ = [
    "CASE_PREFIX_PATTERN",
    "FIRST_CASE_PREFIX",
    "Agency",
    "AgencyKind",
    "District",
    "Region",
    "Role",
    "User",
    "verify_password",
]


class AgencyKind(StrEnum):
    """The stable kind codes of DOMAIN.md."""

    AKIMAT = "akimat"
    EDUCATION = "education"
    SCHOOL = "school"
    POLICE = "police"
    HEALTH = "health"
    SOCIAL_PROTECTION = "social_protection"
    KDNZP = "kdnzp"
    GUARDIANSHIP = "guardianship"
    CENTER = "center"
    NGO = "ngo"
    OMBUDSMAN = "ombudsman"


class Role(StrEnum):
    """What a user may do: ``chair`` is the deputy akim; ``coordinator`` schedules for an agency.

    The first four work in a district's agency. Above the districts, a ``regional`` viewer (the
    oblast's deputy akim, the regional ombudsman) sees its region's figures and nothing of a
    case, and a ``deployment`` administrator makes regions, districts and their first
    administrators: neither belongs to an agency (:data:`OVERSIGHT_ROLES`).
    """

    ADMIN = "admin"
    CHAIR = "chair"
    COORDINATOR = "coordinator"
    MEMBER = "member"
    REGIONAL = "regional"
    DEPLOYMENT = "deployment"

    @property
    def works_in_district(self) -> bool:
        """Belongs to one of a district's agencies (every role but those above districts)."""
        return self not in OVERSIGHT_ROLES

    @property
    def acts_for_agency(self) -> bool:
        """Acts for the agency beyond its own tasks (administrators, the chair, coordinators)."""
        return self in (Role.ADMIN, Role.CHAIR, Role.COORDINATOR)

    @property
    def may_schedule(self) -> bool:
        return self.acts_for_agency

    @property
    def may_rotate_feeds(self) -> bool:
        """Issue a new feed address for one's agency (when the old one leaked)."""
        return self.acts_for_agency

    @property
    def may_change_calendar(self) -> bool:
        """Add and remove decree overrides of the district's working-day calendar."""
        return self is Role.ADMIN

    @property
    def sees_district(self) -> bool:
        return self in (Role.ADMIN, Role.CHAIR)


#: The roles above the districts: their users have no agency, and see no district's pages.
OVERSIGHT_ROLES = frozenset({Role.REGIONAL, Role.DEPLOYMENT})

#: The roles of a district's staff, in the order forms offer them.
DISTRICT_ROLES = tuple(r for r in Role if r.works_in_district)


class Region(SQLModel, table=True):
    """A region (область, or a city of republican significance) whose districts share one
    deployment; its akimat sees their figures side by side."""

    __tablename__ = "region"

    id: int | None = Field(default=None, primary_key=True)
    name_ru: str = Field(sa_type=String(200), unique=True)
    name_kk: str = Field(sa_type=String(200))

    def name(self, locale: str) -> str:
        return self.name_kk if locale == "kk" and self.name_kk else self.name_ru


#: The case-code prefix of the first district of a deployment: its codes (``D-2026-0042``)
#: were issued before districts had prefixes of their own, and stay as they are.
FIRST_CASE_PREFIX = "D"
#: What a district's case-code prefix may be: one to four Latin capitals.
CASE_PREFIX_PATTERN = re.compile(r"^[A-Z]{1,4}$")


class District(SQLModel, table=True):
    """A district (район) or city with one interagency child-protection unit."""

    __tablename__ = "district"

    id: int | None = Field(default=None, primary_key=True)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    #: What the district's case codes start with (``D`` in ``D-2026-0042``): one per district,
    #: so that a code names one case across the deployment.
    case_prefix: str = Field(
        default=FIRST_CASE_PREFIX,
        sa_type=String(4),
        unique=True,
        index=True,
        sa_column_kwargs={"server_default": FIRST_CASE_PREFIX},
    )
    name_ru: str = Field(sa_type=String(200))
    name_kk: str = Field(sa_type=String(200))
    timezone: str = Field(default="Asia/Almaty", sa_type=String(64))
    # Working hours, local time; a period in days ends at ``day_ends`` of its last day.
    day_starts: time = Field(default=time(9, 0), sa_type=Time())
    day_ends: time = Field(default=time(18, 0), sa_type=Time())
    #: The local date whose daily digest of overdue tasks was last planned (one per day).
    digest_planned_on: date | None = Field(default=None, sa_type=Date(), nullable=True)
    #: When the scheduler next looks at this district's digest (UTC): the start of its next
    #: working day, or NULL when it must look at once (a new district, a changed calendar).
    #: Indexed, so that a tick reads the districts due and not all of them.
    digest_due_at: datetime | None = utc_field(default=None, nullable=True, index=True)


class Agency(SQLModel, table=True):
    """An agency (ведомство) at the unit's table, identified in URLs and the CLI by its slug."""

    __tablename__ = "agency"
    #: A slug names an agency within its district: each district has its own ``police``.
    __table_args__ = (UniqueConstraint("district_id", "slug", name="uq_agency_district_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    slug: str = Field(sa_type=String(64))
    kind: str = Field(sa_type=String(32))
    name_ru: str = Field(sa_type=String(300))
    name_kk: str = Field(sa_type=String(300))
    #: The English form, for English-speaking staff; empty falls back to the Russian name.
    name_en: str = Field(default="", sa_type=String(300))
    head_email: str | None = Field(default=None, sa_type=String(254))
    #: The language of the emails to the head's address (a head has no account to choose it).
    head_locale: str = Field(
        default=DEFAULT_LOCALE,
        sa_type=String(8),
        sa_column_kwargs={"server_default": DEFAULT_LOCALE},
    )

    def name(self, locale: str) -> str:
        """Return the agency's name in *locale* (Russian where no other form is known)."""
        if locale == "kk" and self.name_kk:
            return self.name_kk
        if locale == "en" and self.name_en:
            return self.name_en
        return self.name_ru


class User(SQLModel, table=True):
    """A person who signs in: a district's staff belong to one agency; a regional viewer to
    a region, and a deployment administrator to neither (:attr:`Role.works_in_district`).

    The ``is_*`` properties and :meth:`get_id` are what flask-login expects of a user object;
    they are plain Python so that this module does not depend on Flask.
    """

    __tablename__ = "user_account"

    __table_args__ = (
        CheckConstraint(
            "(role IN ('regional', 'deployment')) = (agency_id IS NULL)"
            " AND (role = 'regional') = (region_id IS NOT NULL)",
            name="ck_user_account_place",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: The agency of a district's staff; None above the districts.
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    #: The region a regional viewer sees; None for everyone else.
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    email: str = Field(sa_type=String(254), unique=True)
    full_name: str = Field(sa_type=String(200))
    password_hash: str = Field(default="", sa_type=String(256))
    role: str = Field(default=Role.MEMBER.value, sa_type=String(16))
    locale: str = Field(default=DEFAULT_LOCALE, sa_type=String(8))
    active: bool = Field(default=True)
    created_at: datetime = utc_field(default_factory=utcnow)

    @property
    def staff_agency_id(self) -> int:
        """The agency of a district's staff member (a LookupError above the districts, where
        nothing of a district may reach the account)."""
        if self.agency_id is None:
            raise LookupError(f"user {self.id} works above the districts, in no agency")
        return self.agency_id

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return verify_password(self, password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


@cache
def _decoy_hash() -> str:
    """A hash of a random password, made once, for accounts that do not exist."""
    return generate_password_hash(secrets.token_urlsafe(24))


def verify_password(user: User | None, password: str) -> bool:
    """Tell whether *password* is *user*'s; do the same hash work when *user* is None.

    Sign-in calls this whether or not the email names an account, so that the answer's timing
    does not tell an attacker which accounts exist.
    """
    stored = user.password_hash if user is not None and user.password_hash else _decoy_hash()
    matches = check_password_hash(stored, password)
    return matches and user is not None and bool(user.password_hash)

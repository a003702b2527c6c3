"""Edit the statutory rules (administrators), and restore the interagency guide's defaults."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from calendars.workdays import PeriodKind
from models.core.audit import record_event
from models.core.errors import DomainError
from models.core.i18n import N_
from models.people.access import administers_district
from models.people.tables import AgencyKind, User
from models.tasks.tables import RESPONSIBLE_LEAD, RESPONSIBLE_RECEIVING, RuleTrigger, StatutoryRule

__all__ = [
    "DEFAULT_RULES",
    "RESPONSIBLE_CHOICES",
    "RuleError",
    "may_change_statutory_rules",
    "seed_default_rules",
    "update_rule",
]

RESPONSIBLE_CHOICES = (RESPONSIBLE_RECEIVING, RESPONSIBLE_LEAD, *(k.value for k in AgencyKind))
MAX_PERIOD_DAYS = 365

_GUIDE = "Руководство по межведомственному взаимодействию"

#: The guide's deadlines as migration 0003 seeds them (DOMAIN.md's table). The migration keeps
#: its own frozen copy; this one serves the demo and the tests on a database built without it.
DEFAULT_RULES: tuple[tuple[str, str, str, str, str, str, str, int, bool], ...] = (
    (
        "primary-information",
        "Сформировать первичную информацию о ребёнке (семье)",
        "Бала (отбасы) туралы бастапқы ақпаратты қалыптастыру",
        f"{_GUIDE}, гл. 1, п. 4",
        "report_received",
        "receiving",
        "working_days",
        1,
        True,
    ),
    (
        "lead-agency-to-akimat",
        "Выбрать приоритетный орган и передать информацию специалисту акимата",
        "Басым органды таңдап, ақпаратты әкімдік маманына беру",
        f"{_GUIDE}, гл. 1, п. 4",
        "report_received",
        "receiving",
        "calendar_days",
        2,
        True,
    ),
    (
        "inform-police",
        "Незамедлительно сообщить в ОВД для принятия мер защиты",
        "Қорғау шараларын қабылдау үшін ІІО-ға дереу хабарлау",
        f"{_GUIDE}, гл. 1, п. 4",
        "signs_of_offence",
        "receiving",
        "immediately",
        0,
        True,
    ),
    (
        "duplicate-to-guardianship",
        "Продублировать информацию в орган опеки и попечительства",
        "Ақпаратты қорғаншылық және қамқоршылық органына қайталап жіберу",
        f"{_GUIDE}, гл. 1, п. 5",
        "report_received",
        "receiving",
        "immediately",
        0,
        True,
    ),
    (
        "education-emergency",
        "Довести информацию о ЧП в сфере образования до Комитета по охране прав детей",
        "Білім беру саласындағы төтенше оқиға туралы "
        "Балалардың құқықтарын қорғау комитетіне жеткізу",
        f"{_GUIDE}, гл. 1, п. 7",
        "report_received",
        "education",
        "working_days",
        1,
        False,
    ),
    (
        "inform-prosecutor",
        "Незамедлительно информировать прокурора об отобрании ребёнка",
        "Баланы алып қою туралы прокурорға дереу хабарлау",
        f"{_GUIDE}, гл. 5, п. 12",
        "child_removed",
        "education",
        "immediately",
        0,
        True,
    ),
    (
        "parental-rights-materials",
        "Собрать материалы об ограничении или лишении родительских прав и обратиться в суд",
        "Ата-ана құқықтарын шектеу немесе айыру туралы материалдарды жинап, сотқа жүгіну",
        f"{_GUIDE}, гл. 5, п. 12",
        "child_removed",
        "education",
        "calendar_days",
        7,
        True,
    ),
)


class RuleError(DomainError):
    """The rule cannot be changed as asked."""


def seed_default_rules(session: Session) -> int:
    """Add the default rules whose slug is missing; return how many were added."""
    have = set(session.scalars(select(col(StatutoryRule.slug))).all())
    added = 0
    for position, (slug, ru, kk, source, trigger, responsible, kind, days, active) in enumerate(
        DEFAULT_RULES
    ):
        if slug in have:
            continue
        session.add(
            StatutoryRule(
                slug=slug,
                title_ru=ru,
                title_kk=kk,
                legal_source=source,
                trigger=trigger,
                responsible=responsible,
                period_kind=kind,
                period_days=days,
                active=active,
                position=position,
            )
        )
        added += 1
    session.flush()
    return added


def may_change_statutory_rules(user: User) -> bool:
    """Tell whether *user* may change the statutory rules and the escalation ladder of their
    district: its administrators."""
    return administers_district(user)


def update_rule(
    session: Session,
    user: User,
    rule: StatutoryRule,
    *,
    responsible: str,
    period_kind: str,
    period_days: int,
    active: bool,
    legal_source: str,
    now: datetime,
) -> None:
    """Change *rule* (administrators only); audited with the old and new values.

    Tasks already created keep their due moments; the change applies to what happens next.
    """
    if not may_change_statutory_rules(user):
        raise RuleError(N_("Only administrators change the statutory rules."))
    if responsible not in RESPONSIBLE_CHOICES:
        raise RuleError(N_("Choose who is responsible."), "responsible")
    if period_kind not in PeriodKind.__members__.values():
        raise RuleError(N_("Choose the kind of period."), "period_kind")
    if period_kind == PeriodKind.IMMEDIATELY:
        period_days = 0
    elif not 1 <= period_days <= MAX_PERIOD_DAYS:
        raise RuleError(N_("Enter a number of days from 1 to 365."), "period_days")
    legal_source = " ".join(legal_source.split())
    if not legal_source or len(legal_source) > 300:
        raise RuleError(N_("Name the legal source, in at most 300 characters."), "legal_source")
    assert rule.trigger in RuleTrigger.__members__.values()
    before = f"{rule.responsible}/{rule.period_kind}:{rule.period_days}/{rule.active}"
    rule.responsible = responsible
    rule.period_kind = period_kind
    rule.period_days = period_days
    rule.active = active
    rule.legal_source = legal_source
    rule.updated_at = now
    session.add(rule)
    record_event(
        session,
        user_id=user.id,
        action="rule.changed",
        object_type="statutory_rule",
        object_id=rule.id,
        detail=f"slug={rule.slug} old={before} "
        f"new={responsible}/{period_kind}:{period_days}/{active}",
        at=now,
    )
    session.flush()

"""Who may do what, by role: the access predicates that the operations refuse by and that the
portal's routes, buttons and menu ask. A member completes tasks and answers invitations; an
inactive account may nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session

from models.cases.access import may_open_cases
from models.feeds.rotation import may_rotate_agency_feed
from models.meetings.access import may_schedule_meetings
from models.overview.outbox import may_retry_emails, warned_of_undelivered_emails
from models.people.access import administers_district, may_manage_people
from models.people.administration import may_manage_agencies
from models.people.tables import Agency, User
from models.tasks.assignees import may_move_tasks_across_agencies
from models.tasks.calendar_changes import may_change_calendar
from models.tasks.operations import may_create_tasks, may_manage_task
from models.tasks.rules import may_change_statutory_rules
from tests.factories import District, make_user, open_test_case

ROLES = ("admin", "chair", "coordinator", "member")
OWN = Agency(id=1, district_id=1, slug="akimat", kind="akimat", name_ru="Аким", name_kk="Әкім")
OTHER = Agency(id=2, district_id=1, slug="police", kind="police", name_ru="МВД", name_kk="ІІМ")

#: Each predicate of one user, and the roles it lets through.
MATRIX: dict[str, tuple[Callable[[User], bool], set[str]]] = {
    "administers_district": (administers_district, {"admin"}),
    "may_manage_people": (may_manage_people, {"admin", "coordinator"}),
    "may_manage_agencies": (may_manage_agencies, {"admin"}),
    "may_open_cases": (may_open_cases, {"admin", "chair", "coordinator"}),
    "may_create_tasks": (may_create_tasks, {"admin", "chair", "coordinator"}),
    "may_move_tasks_across_agencies": (may_move_tasks_across_agencies, {"admin", "chair"}),
    "may_schedule_meetings": (may_schedule_meetings, {"admin", "chair", "coordinator"}),
    "may_change_calendar": (may_change_calendar, {"admin"}),
    "may_change_statutory_rules": (may_change_statutory_rules, {"admin"}),
    "may_retry_emails": (may_retry_emails, {"admin"}),
    "warned_of_undelivered_emails": (warned_of_undelivered_emails, {"admin", "chair"}),
    "may_rotate_agency_feed": (
        lambda user: may_rotate_agency_feed(user, OWN),
        {"admin", "chair", "coordinator"},
    ),
}


def person(role: str, *, active: bool = True) -> User:
    return User(agency_id=1, email=f"{role}@akimat.test", full_name=role, role=role, active=active)


@pytest.mark.parametrize("name", MATRIX)
def test_each_predicate_lets_through_the_roles_it_always_has(name: str) -> None:
    allowed, roles = MATRIX[name]
    assert {role for role in ROLES if allowed(person(role))} == roles
    assert not any(allowed(person(role, active=False)) for role in ROLES)


def test_only_an_agencys_own_people_issue_it_a_new_feed_address() -> None:
    assert not any(may_rotate_agency_feed(person(role), OTHER) for role in ROLES)


def test_who_may_cancel_or_reassign_a_task(session: Session, district: District) -> None:
    task = open_test_case(session, district).tasks[0]  # the education department's
    member = make_user(session, district.education, "member@education.test")
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    session.flush()
    assert task.responsible_agency_id == district.education.id
    allowed = [district.coordinator, district.chair, admin]
    refused = [member, district.police_head, district.pedagogue, district.inspector]
    assert [may_manage_task(session, user, task) for user in allowed] == [True] * 3
    assert [may_manage_task(session, user, task) for user in refused] == [False] * 4

"""A report entered after its statutory moment: the statute stands, the form says so before
saving, and the escalation says the case was registered late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.casework.operations import overdue_on_arrival
from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.tick import plan_due
from tests.factories import District, open_test_case

#: Wednesday 17 March 2027, 10:00 in Almaty: the report is entered in the portal.
ENTERED = datetime(2027, 3, 17, 5, 0, tzinfo=UTC)
#: 07:30 in Almaty: it was received two and a half hours before.
RECEIVED = ENTERED - timedelta(hours=2, minutes=30)


def test_the_rules_already_overdue_when_a_report_is_entered_are_named(
    session: Session, district: District
) -> None:
    late = overdue_on_arrival(
        session,
        district.coordinator,
        received_at=RECEIVED,
        signs_of_offence=False,
        child_removed=False,
        now=ENTERED,
    )
    assert [r.slug for r in late] == ["duplicate-to-guardianship"]
    assert (
        overdue_on_arrival(
            session,
            district.coordinator,
            received_at=ENTERED - timedelta(minutes=30),
            signs_of_offence=False,
            child_removed=False,
            now=ENTERED,
        )
        == []
    )


def test_the_escalation_of_a_late_registered_report_says_so(
    session: Session, settings: Settings, district: District
) -> None:
    open_test_case(
        session,
        district,
        received_at=RECEIVED,
        receiving_agency_id=district.school.id,
        now=ENTERED,
    )
    session.commit()
    plan_due(session, settings, now=ENTERED)
    session.commit()
    (head,) = [
        n
        for n in session.scalars(select(Notification).order_by(col(Notification.id)))
        if n.kind == "escalation" and n.recipient == "head@school-1.test"
    ]
    for part in (head.body, head.html or ""):
        assert "Зарегистрировано с опозданием" in part
        assert "07:30" in part and "10:00" in part  # received, then entered in the portal

"""The case page hands a case to another lead agency: the chair and the lead's coordinators see
the form; the new lead joins the case; others are refused and nothing is written."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from models.cases.tables import Case, CaseAgency
from models.core.audit import AuditEvent
from tests.factories import District, csrf_token, login, logout

PAGE = "/cases/D-2026-0042"


def audited(session: Session) -> int:
    query = select(func.count()).where(col(AuditEvent.action) == "case.lead_agency_chosen")
    return session.scalar(query) or 0


def test_the_chair_hands_the_case_to_another_lead_agency(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.chair.email)
    page = client.get(PAGE).get_data(as_text=True)
    assert f'action="{PAGE}/lead"' in page
    assert f'<option value="{district.education.id}"' not in page.split(f'action="{PAGE}/lead"')[1]
    response = client.post(
        f"{PAGE}/lead",
        data={"csrf_token": csrf_token(page), "lead_agency": str(district.police.id)},
    )
    assert response.status_code == 302
    session.expire_all()
    case = session.get(Case, district.case.id)
    assert case is not None and case.lead_agency_id == district.police.id
    assert session.get(CaseAgency, (case.id, district.police.id)) is not None
    assert audited(session) == 1
    shown = client.get(PAGE).get_data(as_text=True)
    assert "Ведущее ведомство выбрано." in shown  # the flash, in the portal's Russian

    # the agency that leads already is not a choice
    again = client.post(
        f"{PAGE}/lead",
        data={"csrf_token": csrf_token(shown), "lead_agency": str(district.police.id)},
    )
    assert again.status_code == 400 and audited(session) == 1


def test_a_member_or_another_agencys_coordinator_may_not_choose(
    client: FlaskClient, district: District, session: Session
) -> None:
    for person in (district.inspector, district.pedagogue):
        login(client, person.email)
        page = client.get(PAGE).get_data(as_text=True)
        assert f'action="{PAGE}/lead"' not in page
        response = client.post(
            f"{PAGE}/lead",
            data={"csrf_token": csrf_token(page), "lead_agency": str(district.police.id)},
        )
        assert response.status_code == 403
        logout(client)
    session.expire_all()
    case = session.get(Case, district.case.id)
    assert case is not None and case.lead_agency_id == district.education.id
    assert audited(session) == 0

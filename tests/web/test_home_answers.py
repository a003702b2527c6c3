"""The home page's answers panel: invitations to answer (answered from the portal, under the
email links' rule) and, for organizers, who has not answered and which agency declined."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from models.core.settings import Settings
from models.meetings.answers import rsvp_links
from models.meetings.changes import record_response
from models.meetings.tables import Answer, Meeting, MeetingResponse
from tests.factories import District, add_meetings, csrf_token, login, logout, schedule


def test_an_invitee_answers_from_the_home_page_and_the_invitation_leaves_the_panel(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    login(client, district.inspector.email)
    page = client.get("/").get_data(as_text=True)
    assert "Приглашения, ждущие вашего ответа" in page
    panel = page.split('id="to-answer-title"', 1)[1].split("</section>", 1)[0]
    assert meeting.title in panel
    for button in ("Приду", "Возможно", "Не смогу"):
        assert f">{button}</button>" in panel, button
    assert f'action="/meetings/{meeting.id}/answer/declined"' in panel
    assert "Ответы на встречи вашего ведомства" not in page  # a member organizes nothing
    answered = client.post(
        f"/meetings/{meeting.id}/answer/declined",
        data={"csrf_token": csrf_token(page), "back": "home"},
        follow_redirects=True,
    )
    assert answered.request.path == "/"
    home = answered.get_data(as_text=True)
    assert "Ваш ответ записан." in home
    assert "Приглашений, ждущих вашего ответа, нет." in home
    rows = session.scalars(select(MeetingResponse)).all()
    assert [(r.user_id, r.answer) for r in rows] == [(district.inspector.id, "declined")]


def test_the_organizer_sees_who_has_not_answered_and_a_declined_agency_in_kazakh(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(
        session,
        settings,
        district,
        organizer=district.police_head,
        agency_ids=[district.education.id],
    ).meeting
    meeting.title = "Полиция жиналысы"
    record_response(session, meeting=meeting, user=district.coordinator, answer=Answer.DECLINED)
    session.commit()
    login(client, district.police_head.email)  # reads Kazakh; the police organize it
    page = client.get("/").get_data(as_text=True)
    panel = page.split('id="replies-title"', 1)[1].split("</section>", 1)[0]
    assert "Ведомствоңыздың кездесулеріне жауаптар" in page
    # Invitees: the two active police officers and the education coordinator, who declined.
    assert "Полиция жиналысы" in panel
    assert "Әлі жауап бермегендер: 3 шақырылғанның 2" in panel
    assert "Бас тартқандар: Мекеме education" in panel  # the test agency's Kazakh name
    logout(client)
    login(client, district.coordinator.email)
    page = client.get("/").get_data(as_text=True)
    assert "Ваше ведомство не организует предстоящих встреч." in page
    assert "Приглашений, ждущих вашего ответа, нет." in page  # it has answered already


def test_the_panel_shows_five_and_points_to_the_list_for_more(
    client: FlaskClient, district: District, session: Session
) -> None:
    add_meetings(session, district, 9)
    login(client, district.inspector.email)
    page = client.get("/").get_data(as_text=True)
    panel = page.split('id="to-answer-title"', 1)[1].split("</section>", 1)[0]
    assert panel.count('<span class="when">') == 5
    assert "Вашего ответа ждут и другие приглашения" in panel


def test_a_meeting_that_is_over_cannot_be_answered_from_the_portal_either(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    login(client, district.inspector.email)
    token = csrf_token(client.get(f"/meetings/{meeting.id}").get_data(as_text=True))
    row = session.get(Meeting, meeting.id)
    assert row is not None
    row.starts_at -= timedelta(days=5)
    row.ends_at -= timedelta(days=5)
    session.commit()
    response = client.post(
        f"/meetings/{meeting.id}/answer/accepted",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    refused = response.get_data(as_text=True)
    assert "Встреча уже прошла; ответить на приглашение больше нельзя." in refused
    assert session.scalars(select(MeetingResponse)).all() == []


def test_an_answer_link_opens_in_the_invitees_language(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    kazakh = rsvp_links(settings, meeting, district.police_head)[Answer.ACCEPTED]
    page = client.get(kazakh.split("birge.test", 1)[1]).get_data(as_text=True)
    assert 'lang="kk"' in page and "Қатысамын" in page
    page = client.post(
        kazakh.split("birge.test", 1)[1], data={"csrf_token": csrf_token(page)}
    ).get_data(as_text=True)
    assert "Жауабыңыз жазылды. Рақмет." in page
    russian = rsvp_links(settings, meeting, district.inspector)[Answer.DECLINED]
    page = client.get(russian.split("birge.test", 1)[1]).get_data(as_text=True)
    assert 'lang="ru"' in page and "Не смогу" in page

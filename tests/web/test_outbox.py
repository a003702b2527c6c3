"""Administrators see and retry emails that were not delivered; /metrics shows the outbox."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlmodel import Session, col

from models.core.audit import AuditEvent
from models.core.base import utcnow
from models.core.settings import Settings
from models.outbox.notifications import Notification
from tests.factories import District, csrf_token, login, make_district, make_user, schedule


def fail_all(session: Session) -> None:
    session.execute(
        update(Notification).values(
            status="failed", attempts=8, last_error="SMTPRecipientsRefused: 550 no such user"
        )
    )
    session.commit()


def test_an_administrator_sees_failed_emails_and_retries_one_or_all(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin", locale="en")
    schedule(session, settings, district)
    session.commit()
    fail_all(session)
    login(client, admin.email)
    home = client.get("/").get_data(as_text=True)
    assert "3 emails were not delivered." in home and "See and retry them" in home
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert page.count("550 no such user") == 3
    assert "inspector@police.test" in page and "Invitation" in page and "Failed" in page

    first = session.scalars(select(Notification.id).order_by(col(Notification.id))).first()
    response = client.post(
        f"/admin/notifications/{first}/retry", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    session.expire_all()
    statuses = list(session.scalars(select(Notification.status).order_by(col(Notification.id))))
    assert statuses == ["pending", "failed", "failed"]
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert "1 email is sent again." in page
    client.post("/admin/notifications/retry", data={"csrf_token": csrf_token(page)})
    session.expire_all()
    rows = list(session.scalars(select(Notification)))
    assert {(n.status, n.attempts) for n in rows} == {("pending", 0)}
    actions = list(session.scalars(select(AuditEvent.action)))
    assert actions.count("notification.retried") == 2


def test_only_administrators_open_the_page_and_the_chair_sees_the_count(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    schedule(session, settings, district)
    session.commit()
    fail_all(session)
    login(client, district.chair.email)
    assert client.get("/admin/notifications").status_code == 403
    page = client.get("/").get_data(as_text=True)
    assert "3 письма не доставлены." in page
    assert "/admin/notifications" not in page  # only administrators may retry


def test_long_pending_emails_are_listed_too(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin", locale="en")
    schedule(session, settings, district)
    session.commit()
    login(client, admin.email)
    assert "Every email has been delivered." in client.get("/admin/notifications").get_data(
        as_text=True
    )
    session.execute(update(Notification).values(created_at=utcnow() - timedelta(hours=1)))
    session.commit()
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert page.count("Waiting") == 3


def test_metrics_show_the_outbox_by_status_and_the_oldest_due_email(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    schedule(session, settings, district)
    session.commit()
    session.execute(update(Notification).values(next_attempt_at=utcnow() - timedelta(seconds=120)))
    session.commit()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    district_id = district.row.id
    assert f'birge_notifications{{district="{district_id}",status="pending"}} 3.0' in text
    assert f'birge_notifications{{district="{district_id}",status="failed"}} 0.0' in text
    assert 'status="sent"' not in text  # the bulk of the table: not counted per scrape
    age_line = next(
        line for line in text.splitlines() if line.startswith("birge_notification_oldest_due")
    )
    assert 119 < float(age_line.split()[1]) < 200
    for counter in (
        "birge_notification_sends_total",
        "birge_notification_send_failures_total",
        "birge_scheduler_tick_duration_seconds_count",
    ):
        assert counter in text


def test_the_chair_and_metrics_are_told_at_once_when_the_mail_server_refuses(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    """One failed attempt, a minute after writing: the chair's home page says so at once
    (not after the 15 minutes that make an email "long pending"), and /metrics too."""
    schedule(session, settings, district)
    session.commit()
    session.execute(
        update(Notification).values(
            attempts=1,
            last_error="ConnectionRefusedError",
            next_attempt_at=utcnow() + timedelta(seconds=30),
        )
    )
    session.commit()
    login(client, district.chair.email)
    page = client.get("/").get_data(as_text=True)
    assert "3 письма не доставлены." in page
    assert "3 из них отправляются повторно" in page and "24 ч" in page
    text = client.get("/metrics").get_data(as_text=True)
    assert f'birge_notifications_retrying{{district="{district.row.id}"}} 3.0' in text


def test_each_district_sees_counts_and_retries_its_own_undelivered_emails_only(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    """Two districts on one deployment, each with failed emails: each one's administrator and
    chair are told of, see and retry their own; /metrics counts them per district."""
    other = make_district(session, "-2")
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin", locale="en")
    schedule(session, settings, district)  # 3 emails here
    schedule(session, settings, other, organizer=other.coordinator, agency_ids=[other.police.id])
    session.commit()
    fail_all(session)
    theirs = set(
        session.scalars(
            select(Notification.id).where(col(Notification.district_id) == other.row.id)
        )
    )
    assert len(theirs) == 3  # of six
    login(client, admin.email)
    assert "3 emails were not delivered." in client.get("/").get_data(as_text=True)
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert page.count("550 no such user") == 3 and "-2@" not in page
    refused = client.post(
        f"/admin/notifications/{min(theirs)}/retry", data={"csrf_token": csrf_token(page)}
    )
    assert refused.status_code == 302
    client.post("/admin/notifications/retry", data={"csrf_token": csrf_token(page)})
    session.expire_all()
    statuses = dict(session.execute(select(Notification.id, Notification.status)).all())
    assert {statuses[i] for i in theirs} == {"failed"}  # another district's: untouched
    assert sorted(statuses.values()) == ["failed"] * 3 + ["pending"] * 3
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, other.chair.email)
    assert "3 письма не доставлены." in client.get("/").get_data(as_text=True)
    text = client.get("/metrics").get_data(as_text=True)
    assert f'birge_notifications{{district="{other.row.id}",status="failed"}} 3.0' in text
    assert f'birge_notifications{{district="{district.row.id}",status="pending"}} 3.0' in text

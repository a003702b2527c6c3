"""Webhooks (issue 17, point 6): the URL rule against server-side request forgery, the events of
an integration's cases written into the outbox in the transaction of the change, once each, and
never a child's data in them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col
from standardwebhooks import Webhook

from models.cases.tables import Case, CaseAgency
from models.casework.changes import choose_lead_agency, close_case
from models.casework.operations import CaseError
from models.casework.reports import Report, receive_report
from models.core.audit import AuditEvent
from models.integrations.tokens import (
    Integration,
    IntegrationError,
    create_integration,
    revoke_integration,
)
from models.integrations.urls import (
    Resolver,
    UnresolvedHost,
    WebhookUrlError,
    check_webhook_url,
)
from models.integrations.webhooks import (
    announce_case_opened,
    clear_webhook,
    set_webhook,
    webhook_target,
    why_not_send_webhook,
)
from models.outbox.keys import parse_webhook_key, webhook_key
from models.outbox.notifications import Notification, NotificationKind
from models.tasks.operations import cancel_task, complete_task
from models.tasks.tables import StatutoryRule, Task
from tests.factories import CHILD, REPORT_AT, District, open_test_case

PUBLIC = "93.184.215.14"
NOW = REPORT_AT + timedelta(minutes=30)
URL = "https://hooks.helpline.example/birge?via=webhook"


def resolving_to(*addresses: str) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolve


def unresolvable(host: str, port: int) -> Sequence[str]:
    raise OSError("Name or service not known")


# -- the URL rule ------------------------------------------------------------------------------


def test_a_public_https_url_is_accepted_with_the_addresses_a_post_connects_to() -> None:
    checked = check_webhook_url(URL, resolve=resolving_to(PUBLIC, "2606:2800:21f:cb07::1"))
    assert (checked.scheme, checked.host, checked.port) == ("https", "hooks.helpline.example", 443)
    assert checked.target == "/birge?via=webhook"
    assert checked.addresses == (PUBLIC, "2606:2800:21f:cb07::1")


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "127.0.0.1",
        "169.254.169.254",  # a cloud's metadata service
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0",  # noqa: S104 - resolved to, never bound
        "240.0.0.1",  # reserved
        "224.0.0.1",  # multicast
        "::1",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:10.0.0.1",  # an IPv4-mapped private address
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
    ],
)
def test_a_host_with_a_private_loopback_link_local_or_reserved_address_is_refused(
    address: str,
) -> None:
    with pytest.raises(WebhookUrlError, match="private, loopback"):
        check_webhook_url(URL, resolve=resolving_to(address))
    # one bad address among good ones is enough (a client may pick any)
    with pytest.raises(WebhookUrlError, match="private, loopback"):
        check_webhook_url(URL, resolve=resolving_to(PUBLIC, address))


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.helpline.example/birge",  # not https
        "ftp://hooks.helpline.example/birge",
        "https:///birge",  # no host
        "hooks.helpline.example/birge",
        "https://hooks.helpline.example:99999/birge",  # a port out of range
        "https://hooks.helpline.example/bir ge",
        "https://hooks.helpline.example/\x1b[31m",
        "https://hooks.helpline.example/" + "x" * 240,
        "https://хуки.пример/birge",  # not ASCII: give the punycode
    ],
)
def test_a_url_that_is_not_plain_https_is_refused(url: str) -> None:
    with pytest.raises(WebhookUrlError, match="https://"):
        check_webhook_url(url, resolve=resolving_to(PUBLIC))


def test_credentials_in_the_url_are_refused() -> None:
    for url in ("https://user:secret@hooks.helpline.example/", "https://user@hooks.example/"):
        with pytest.raises(WebhookUrlError, match="no user name or password"):
            check_webhook_url(url, resolve=resolving_to(PUBLIC))


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UnresolvedHost, match="does not resolve"):
        check_webhook_url(URL, resolve=unresolvable)
    with pytest.raises(UnresolvedHost):
        check_webhook_url(URL, resolve=resolving_to())


def test_the_tests_setting_allows_loopback_http_and_nothing_else() -> None:
    local = "http://localhost:8421/hook"
    with pytest.raises(WebhookUrlError):  # off by default
        check_webhook_url(local, resolve=resolving_to("127.0.0.1", "::1"))
    checked = check_webhook_url(
        local, allow_loopback=True, resolve=resolving_to("127.0.0.1", "::1")
    )
    assert (checked.scheme, checked.port, checked.addresses) == ("http", 8421, ("127.0.0.1", "::1"))
    # an IP literal needs no resolver at all
    assert check_webhook_url("http://127.0.0.1:8421/", allow_loopback=True).addresses == (
        "127.0.0.1",
    )
    with pytest.raises(WebhookUrlError, match="private"):  # private stays private
        check_webhook_url(local, allow_loopback=True, resolve=resolving_to("10.0.0.2"))
    with pytest.raises(WebhookUrlError, match="https://"):  # http only to loopback
        check_webhook_url(local, allow_loopback=True, resolve=resolving_to(PUBLIC))


# -- registering -------------------------------------------------------------------------------


def integration_with_webhook(
    session: Session, district: District, name: str = "helpline-111", url: str = URL
) -> tuple[Integration, str]:
    issued = create_integration(session, name=name, district_id=district.row.id or 0, now=NOW)
    registered = set_webhook(session, name, url, resolve=resolving_to(PUBLIC), now=NOW)
    return issued.integration, registered.secret


def test_registering_a_webhook_makes_a_standard_webhooks_secret_and_audits_the_host_only(
    session: Session, district: District
) -> None:
    integration, secret = integration_with_webhook(session, district)
    session.commit()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    signature = Webhook(secret).sign("msg_1", NOW, b"{}")
    assert signature.startswith("v1,")
    assert integration.webhook_url == URL and integration.webhook_secret == secret
    again = set_webhook(session, "helpline-111", URL, resolve=resolving_to(PUBLIC), now=NOW)
    assert again.secret != secret  # registering again gives a new secret
    (audit, _) = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "integration.webhook_set")
    ).all()
    assert "host=hooks.helpline.example" in audit.detail and "via=webhook" not in audit.detail
    assert secret not in audit.detail

    with pytest.raises(WebhookUrlError):
        set_webhook(session, "helpline-111", "https://10.0.0.7/hook", now=NOW)
    revoke_integration(session, "helpline-111", now=NOW)
    with pytest.raises(IntegrationError, match="No live integration"):
        set_webhook(session, "helpline-111", URL, resolve=resolving_to(PUBLIC), now=NOW)


# -- events ------------------------------------------------------------------------------------


def report(reference: str = "111-2026-000777") -> Report:
    return Report(
        source="helpline_111",
        reference=reference,
        received_at=REPORT_AT,
        category="violence",
        receiving_agency="education",
        signs_of_offence=True,
        restricted=CHILD,
    )


def webhooks(session: Session) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(col(Notification.kind) == NotificationKind.WEBHOOK.value)
            .order_by(col(Notification.id))
        )
    )


def payloads(session: Session) -> list[dict[str, object]]:
    return [json.loads(n.body) for n in webhooks(session)]


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_the_case_opened_event_is_written_in_the_transaction_of_the_report(
    session: Session, district: District
) -> None:
    cases = count(session, Case)
    # Uncommitted, as the API's request is when it reports (its rate limit counted): pysqlite
    # would make the report's savepoint a transaction of its own in an idle connection.
    integration, _ = integration_with_webhook(session, district)
    received = receive_report(session, integration, report(), key=None, digest="d1", now=NOW)
    assert [n.id for n in received.outgoing] == [n.id for n in webhooks(session)]
    session.rollback()  # the report is not committed: neither is its event
    assert (count(session, Case), webhooks(session)) == (cases, [])

    integration, _ = integration_with_webhook(session, district)
    session.commit()
    received = receive_report(session, integration, report(), key="k-1", digest="d1", now=NOW)
    session.commit()
    (event,) = webhooks(session)
    assert received.outgoing == [event]
    assert event.recipient == URL and event.status == "pending"
    assert json.loads(event.body) == {
        "type": "case.opened",
        "timestamp": "2026-03-20T10:30:00Z",
        "data": {
            "case_code": received.case.code,
            "agency": "education",
            "received_at": "2026-03-20T10:00:00Z",
            "opened_at": "2026-03-20T10:30:00Z",
        },
    }
    key = parse_webhook_key(event.dedupe_key)
    assert key is not None
    assert (key.integration_id, key.case_id, key.event) == (
        integration.id,
        received.case.id,
        "case.opened",
    )

    # the same report again, by its key or by its reference: no second event
    for key_again in ("k-1", None):
        again = receive_report(session, integration, report(), key=key_again, digest="d1", now=NOW)
        assert (again.created, again.outgoing) == (False, [])
    assert announce_case_opened(session, received.case, now=NOW) is None  # the dedupe key
    session.commit()
    assert len(webhooks(session)) == 1


def test_each_event_of_an_integrations_case_goes_to_its_webhook_with_codes_and_moments_only(
    session: Session, district: District
) -> None:
    integration, _ = integration_with_webhook(session, district)
    case = receive_report(session, integration, report(), key=None, digest="d", now=NOW).case
    session.commit()
    tasks = list(session.scalars(select(Task).where(col(Task.case_id) == case.id)))
    rule_of = {r.id: r.slug for r in session.scalars(select(StatutoryRule)) if r.id is not None}

    later = NOW + timedelta(hours=2)
    first = next(t for t in tasks if rule_of[t.rule_id or 0] == "lead-agency-to-akimat")
    done = complete_task(session, district.coordinator, first, note="Передано", now=later)
    chosen = choose_lead_agency(session, district.chair, case, district.police, now=later)
    for task in tasks:
        if task is not first:
            cancel_task(session, district.chair, task, reason="Не требуется", now=later)
    closed = close_case(session, district.chair, case, reason="Причины устранены", now=later)
    session.commit()

    written = webhooks(session)
    assert done + chosen + closed == written[1:]
    sent = [json.loads(n.body) for n in written]
    assert [p["type"] for p in sent] == [
        "case.opened",
        "task.completed",
        "case.lead_agency_chosen",
        "case.closed",
    ]
    assert sent[1]["data"] == {
        "case_code": case.code,
        "rule": "lead-agency-to-akimat",
        "agency": "education",
        "due_at": first.due_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "completed_at": "2026-03-20T12:30:00Z",
    }
    assert sent[2]["data"] == {
        "case_code": case.code,
        "agency": "police",
        "chosen_at": "2026-03-20T12:30:00Z",
    }
    assert sent[3]["data"] == {
        "case_code": case.code,
        "agency": "police",
        "closed_at": "2026-03-20T12:30:00Z",
    }
    for notification in written:  # nothing restricted, whatever the event
        for value in (CHILD.child_name, CHILD.address, CHILD.school_class, CHILD.notes):
            assert value not in notification.body and value not in notification.subject
        assert "Передано" not in notification.body and "Причины" not in notification.body
    assert len({n.dedupe_key for n in written}) == 4


def test_no_event_for_a_case_opened_in_the_portal_or_by_an_integration_without_a_webhook(
    session: Session, district: District
) -> None:
    create_integration(session, name="police-register", district_id=district.row.id or 0)
    integration_with_webhook(session, district)
    silent = session.scalars(
        select(Integration).where(col(Integration.name) == "police-register")
    ).one()
    by_silent = receive_report(session, silent, report("P-1"), key=None, digest="d", now=NOW)
    by_person = open_test_case(session, district)
    assert by_silent.outgoing == []
    for case in (by_silent.case, by_person.case):
        for task in session.scalars(select(Task).where(col(Task.case_id) == case.id)):
            assert complete_task(session, district.chair, task, note="", now=NOW) == []
        assert close_case(session, district.chair, case, reason="Готово", now=NOW) == []
    session.commit()
    assert webhooks(session) == []


def test_choosing_the_lead_agency_again_is_a_new_event_each_time(
    session: Session, district: District
) -> None:
    integration, _ = integration_with_webhook(session, district)
    case = receive_report(session, integration, report(), key=None, digest="d", now=NOW).case
    for minutes, agency in ((40, district.police), (50, district.education), (60, district.police)):
        chosen = choose_lead_agency(
            session, district.chair, case, agency, now=NOW + timedelta(minutes=minutes)
        )
        assert len(chosen) == 1
    session.commit()
    assert [p["data"]["agency"] for p in payloads(session)[1:]] == [  # type: ignore[index]
        "police",
        "education",
        "police",
    ]


def test_clearing_or_moving_the_webhook_voids_what_was_not_posted_and_revoking_stops_the_rest(
    session: Session, district: District
) -> None:
    integration, _ = integration_with_webhook(session, district)
    first = receive_report(session, integration, report("A"), key=None, digest="a", now=NOW)
    session.commit()
    (old,) = first.outgoing
    assert webhook_target(session, old) is not None and why_not_send_webhook(session, old) is None

    moved = "https://hooks2.helpline.example/birge"
    set_webhook(session, "helpline-111", moved, resolve=resolving_to(PUBLIC), now=NOW)
    second = receive_report(session, integration, report("B"), key=None, digest="b", now=NOW)
    session.commit()
    (new,) = second.outgoing
    session.refresh(old)
    assert old.status == "voided" and new.recipient == moved and new.status == "pending"
    target = webhook_target(session, new)
    assert target is not None and target.url == moved and target.message_id == new.dedupe_key

    clear_webhook(session, "helpline-111", now=NOW)
    session.commit()
    session.refresh(new)
    assert new.status == "voided" and integration.webhook_url is None
    assert webhook_target(session, new) is None

    set_webhook(session, "helpline-111", moved, resolve=resolving_to(PUBLIC), now=NOW)
    third = receive_report(session, integration, report("C"), key=None, digest="c", now=NOW)
    revoke_integration(session, "helpline-111", now=NOW)
    session.commit()
    assert why_not_send_webhook(session, third.outgoing[0]) is not None


def test_a_webhook_key_names_its_event_and_reads_back() -> None:
    at = NOW
    key = webhook_key(3, 12, "case.lead_agency_chosen", agency_id=4, at=at)
    assert key == "webhook:3:case:12:case.lead_agency_chosen:agency:4:20260320T103000Z"
    parsed = parse_webhook_key(key)
    assert parsed is not None and (parsed.agency_id, parsed.at) == (4, at)
    task = parse_webhook_key(webhook_key(3, 12, "task.completed", task_id=8))
    assert task is not None and (task.event, task.task_id) == ("task.completed", 8)
    assert parse_webhook_key("task:8:created:user:5") is None


# -- choosing the lead agency ------------------------------------------------------------------


def test_the_chair_or_the_leads_coordinators_choose_the_lead_agency_and_it_joins_the_case(
    session: Session, district: District
) -> None:
    case = open_test_case(session, district, agency_ids=[]).case
    later = NOW + timedelta(hours=1)
    for refused in (district.pedagogue, district.inspector, district.police_head):
        with pytest.raises(CaseError, match="may not choose"):
            choose_lead_agency(session, refused, case, district.police, now=later)
    with pytest.raises(CaseError, match="leads the case already"):
        choose_lead_agency(session, district.coordinator, case, district.education, now=later)

    choose_lead_agency(session, district.coordinator, case, district.police, now=later)
    session.commit()
    assert case.lead_agency_id == district.police.id
    agencies = set(
        session.scalars(select(col(CaseAgency.agency_id)).where(col(CaseAgency.case_id) == case.id))
    )
    assert {district.police.id, district.education.id} <= agencies  # the former lead stays
    (audit,) = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "case.lead_agency_chosen")
    ).all()
    assert audit.detail == f"code={case.code} from=education to=police"
    # the former lead's coordinator no longer chooses; the new lead's does, and the chair
    with pytest.raises(CaseError, match="may not choose"):
        choose_lead_agency(session, district.coordinator, case, district.school, now=later)
    choose_lead_agency(session, district.police_head, case, district.school, now=later)
    choose_lead_agency(session, district.chair, case, district.education, now=later)

    for task in session.scalars(select(Task).where(col(Task.case_id) == case.id)):
        cancel_task(session, district.chair, task, reason="Не требуется", now=later)
    close_case(session, district.chair, case, reason="Готово", now=later)
    with pytest.raises(CaseError, match="closed"):
        choose_lead_agency(session, district.chair, case, district.police, now=later)

"""What bench/national.py makes due before each timed tick, in the same way in both
databases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from national_seed import DOMAIN, table_columns
from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["Due", "make_due"]


@dataclass(frozen=True)
class Due:
    """What is made due before one tick, in every district by turns: tasks past their due
    moment (level 1 to the agency head: one email each), meetings an hour away (the 1 h
    reminder to the akimat's 3 and the police's 2 accounts: five emails each) and emails
    whose retry has come."""

    tasks: int = 100
    meetings: int = 10
    emails: int = 50

    @property
    def items(self) -> int:
        """The emails the tick plans or nudges for it."""
        return self.tasks + 5 * self.meetings + self.emails


def make_due(
    engine: Engine, due: Due, now: datetime, label: str, districts: list[int] | None = None
) -> None:
    """Make *due* due at *now*, spread over *districts* (all of them by default) by turns;
    *label* keeps keys apart."""
    with engine.begin() as conn:
        if districts is None:
            districts = list(conn.execute(text("SELECT id FROM district ORDER BY id")).scalars())
        spread = {"ids": districts, "now": now, "label": label}
        conn.execute(
            text(
                """
                INSERT INTO task (district_id, origin, title, responsible_agency_id, due_at,
                    status, note, cancel_reason, created_at, escalation_due_at, sequence)
                SELECT a.district_id, 'manual', 'Срочное поручение ' || g, a.id,
                    :now - interval '1 minute', 'open', '', '', :now - interval '2 days',
                    :now - interval '1 minute', 0
                FROM generate_series(0, :n - 1) AS g
                JOIN agency a ON a.slug = 'police'
                    AND a.district_id = (:ids)[1 + g % cardinality(:ids)]
                """
            ),
            spread | {"n": due.tasks},
        )
        created = conn.execute(
            text(
                """
                INSERT INTO meeting (uid, district_id, kind, title, starts_at, ends_at,
                    location, organizer_agency_id, status, sequence, created_at, updated_at,
                    address, outcome_note, reminder_due_at, next_sitting_at)
                SELECT 'due-' || :label || '-' || g || '@birge', a.district_id,
                    'coordination_meeting', 'Срочное заседание ' || g,
                    :now + interval '59 minutes', :now + interval '119 minutes',
                    'Акимат', a.id, 'scheduled', 0, :now - interval '2 days',
                    :now - interval '2 days', '', '', :now - interval '1 minute',
                    :now + interval '59 minutes'
                FROM generate_series(0, :n - 1) AS g
                JOIN agency a ON a.slug = 'akimat'
                    AND a.district_id = (:ids)[1 + g % cardinality(:ids)]
                RETURNING id, district_id
                """
            ),
            spread | {"n": due.meetings},
        ).all()
        if created:
            conn.execute(
                text(
                    """
                    INSERT INTO meeting_agency (meeting_id, agency_id)
                    SELECT :meeting, id FROM agency
                    WHERE district_id = :district AND slug IN ('akimat', 'police')
                    """
                ),
                [{"meeting": m, "district": d} for m, d in created],
            )
        columns = table_columns(conn, "notification")
        district = ", district_id" if "district_id" in columns else ""
        conn.execute(
            text(
                f"""
                INSERT INTO notification (dedupe_key{district}, recipient, locale, subject,
                    body, status, attempts, next_attempt_at, created_at, kind)
                SELECT 'due-' || :label || '-' || g{district and ", d"},
                    'secretary.akimat.d' || d || '@{DOMAIN}', 'ru', 'Повторная попытка', 'Текст',
                    'pending', 1, :now - interval '1 minute', :now - interval '1 hour',
                    'message'
                FROM generate_series(0, :n - 1) AS g,
                    LATERAL (SELECT (:ids)[1 + g % cardinality(:ids)] AS d) AS x
                """  # noqa: S608 - our own constants
            ),
            spread | {"n": due.emails},
        )

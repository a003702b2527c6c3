"""The country of bench/national.py: regions, districts of the same size, their agencies,
people, cases, tasks, council series (bench/national_meetings.py) and outbox, written with
set-based SQL.

Every district is built alike, so a database of one district seeded by the same code is the
comparator of the national one. Moments are relative to *moment*, the tick's: every task's and
meeting's next moment and every unsent email lies after it, as a scheduler that kept ticking
would have left them, and only what bench/national_due.py adds is due then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from national_meetings import add_meetings
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from werkzeug.security import generate_password_hash

from models.core.settings import Settings

__all__ = ["DOMAIN", "PASSWORD", "ZONE", "Sizes", "chair_email", "seed", "table_columns"]

DOMAIN = "bench.test"
PASSWORD = "bench-national-2026"  # noqa: S105 - every seeded account's, printed nowhere else
ZONE = ZoneInfo("Asia/Almaty")

#: The agencies every district has besides its schools: slug, kind, name.
AGENCIES: tuple[tuple[str, str, str], ...] = (
    ("akimat", "akimat", "Аппарат акима"),
    ("education", "education", "Отдел образования"),
    ("police", "police", "Районный отдел полиции (ИДН)"),
    ("health", "health", "Районная поликлиника"),
    ("social", "social_protection", "Отдел занятости и социальных программ"),
    ("guardianship", "guardianship", "Орган опеки и попечительства"),
    ("kdnzp", "kdnzp", "Комиссия по делам несовершеннолетних"),
    ("crisis-center", "center", "Кризисный центр"),
    ("ngo", "ngo", "Общественный фонд"),
)


@dataclass(frozen=True)
class Sizes:
    """What one district holds; the national database has ``districts`` of them."""

    districts: int = 200
    regions: int = 17
    schools: int = 35  # 7,000 schools in 200 districts, each with a monthly council series
    single_meetings: int = 5  # a year's other meetings: 85,000 sittings a year in all
    cases: int = 250  # a year's reports, 4 statutory tasks each: 200,000 tasks a year
    tasks_per_case: int = 4
    emails: int = 5_000  # a million outbox rows, sent within the 90 days they are kept

    def one_district(self) -> Sizes:
        """The same district, alone in its region."""
        return replace(self, districts=1, regions=1)


def case_prefix(number: int) -> str:
    """The *number*-th district's case-code prefix (0: ``A``, 26: ``AA``...): 1–4 capitals."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def chair_email(district_id: int) -> str:
    """The address the chair of the district *district_id* signs in with."""
    return f"chair.akimat.d{district_id}@{DOMAIN}"


def seed(engine: Engine, settings: Settings, sizes: Sizes, moment: datetime) -> dict[str, int]:
    """Fill an empty, migrated database; return its row counts by table."""
    params: dict[str, object] = {"t": moment, "today": moment.astimezone(ZONE).date()}
    with engine.begin() as conn:
        _people(conn, sizes, params)
        _cases_and_tasks(conn, sizes, params)
    with engine.begin() as conn:
        add_meetings(conn, settings, sizes.schools, sizes.single_meetings, moment)
    with engine.begin() as conn:
        _emails(conn, sizes, params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        tables = (
            "region",
            "district",
            "agency",
            "user_account",
            "case_file",
            "task",
            "meeting",
            "meeting_agency",
            "meeting_sitting",
            "notification",
        )
        return {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
            for table in tables
        }


def _people(conn: Connection, sizes: Sizes, params: dict[str, object]) -> None:
    """Regions, districts (the digest of the tick's day planned already), agencies with a
    head's address each, and 54 accounts a district: the administrator, the chair and the
    secretary at the akimat, a coordinator and a member at each agency, a school's social
    pedagogue at each school."""
    conn.execute(
        text(
            "INSERT INTO region (name_ru, name_kk) SELECT 'Область № ' || g, 'Облысы № ' || g "
            "FROM generate_series(1, :n) AS g"
        ),
        {"n": sizes.regions},
    )
    conn.execute(
        text(
            """
            INSERT INTO district (region_id, case_prefix, name_ru, name_kk, timezone,
                day_starts, day_ends, digest_planned_on)
            VALUES (:region, :prefix, :name_ru, :name_kk, 'Asia/Almaty', '09:00', '18:00',
                :today)
            """
        ),
        [
            {
                "region": 1 + n % sizes.regions,
                "prefix": case_prefix(n),
                "name_ru": f"Район {case_prefix(n)}",
                "name_kk": f"{case_prefix(n)} ауданы",
                "today": params["today"],
            }
            for n in range(sizes.districts)
        ],
    )
    agencies = ", ".join(f"('{slug}', '{kind}', '{name}')" for slug, kind, name in AGENCIES)
    conn.execute(
        text(
            f"""
            INSERT INTO agency (district_id, slug, kind, name_ru, name_kk, name_en,
                head_email, head_locale)
            SELECT d.id, a.slug, a.kind, a.name || ' (' || d.name_ru || ')', a.name, '',
                'head.' || a.slug || '.d' || d.id || '@{DOMAIN}', 'ru'
            FROM district d CROSS JOIN (VALUES {agencies}) AS a(slug, kind, name)
            UNION ALL
            SELECT d.id, 'school-' || s, 'school', 'Средняя школа № ' || s, '№ ' || s || ' мектеп',
                '', 'head.school-' || s || '.d' || d.id || '@{DOMAIN}', 'kk'
            FROM district d CROSS JOIN generate_series(1, :schools) AS s
            """  # noqa: S608 - our own constants
        ),
        {"schools": sizes.schools},
    )
    # One cheap hash for everyone (as tests/factories.py makes it): signing in is not measured.
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    conn.execute(
        text(
            f"""
            INSERT INTO user_account (agency_id, email, full_name, password_hash, role, locale,
                active, created_at)
            SELECT a.id, p.who || '.' || a.slug || '.d' || a.district_id || '@{DOMAIN}', p.name,
                :hash,
                p.role, p.locale, true, :t - interval '400 days'
            FROM agency a JOIN (VALUES
                ('akimat', 'admin', 'Администратор', 'admin', 'ru'),
                ('akimat', 'chair', 'Заместитель акима', 'chair', 'kk'),
                ('akimat', 'secretary', 'Секретарь', 'coordinator', 'ru'),
                ('*', 'coordinator', 'Координатор', 'coordinator', 'ru'),
                ('*', 'member', 'Специалист', 'member', 'kk'),
                ('school', 'pedagogue', 'Социальный педагог', 'coordinator', 'ru')
            ) AS p(place, who, name, role, locale)
              ON p.place = a.slug OR (p.place = '*' AND a.kind NOT IN ('akimat', 'school'))
              OR (p.place = 'school' AND a.kind = 'school')
            """  # noqa: S608 - our own constants
        ),
        {"hash": password_hash, "t": params["t"]},
    )


def _cases_and_tasks(conn: Connection, sizes: Sizes, params: dict[str, object]) -> None:
    """A year of reports per district, received evenly, each case coded per district and year
    with the counter row it left, its restricted part, the lead agency and the police on it,
    and its statutory tasks: done (most), cancelled (3 %) or still open past their due moment
    (5 %), and open while not yet due; each open task's next ladder moment after the tick's."""
    conn.execute(
        text(
            """
            INSERT INTO case_file (district_id, code, lead_agency_id, receiving_agency_id,
                received_at, source, category, signs_of_offence, child_removed, status,
                opened_at, closed_at, closed_reason)
            SELECT s.district_id,
                s.prefix || '-' || s.year || '-' || lpad(row_number() OVER (
                    PARTITION BY s.district_id, s.year ORDER BY s.received)::text, 4, '0'),
                lead.id, lead.id, s.received,
                (ARRAY['helpline_111', 'school', 'police', 'health', 'citizen'])[1 + s.g % 5],
                (ARRAY['violence', 'neglect', 'bullying', 'truancy', 'cruel_treatment',
                       'conflict_with_law'])[1 + s.g % 6],
                s.g % 7 = 0, s.g % 31 = 0,
                CASE WHEN s.received < :t - interval '90 days' AND s.g % 10 <> 0
                     THEN 'closed' ELSE 'open' END,
                s.received,
                CASE WHEN s.received < :t - interval '90 days' AND s.g % 10 <> 0
                     THEN s.received + interval '60 days' END,
                CASE WHEN s.received < :t - interval '90 days' AND s.g % 10 <> 0
                     THEN 'Помощь оказана' END
            FROM (
                SELECT d.id AS district_id, d.case_prefix AS prefix, g,
                    :t - g * interval '365 days' / :cases AS received,
                    extract(year FROM (:t - g * interval '365 days' / :cases)
                        AT TIME ZONE 'Asia/Almaty')::int AS year
                FROM district d CROSS JOIN generate_series(1, :cases) AS g
            ) AS s
            JOIN agency lead ON lead.district_id = s.district_id AND lead.slug =
                CASE s.g % 4 WHEN 0 THEN 'education' WHEN 1 THEN 'police' WHEN 2 THEN 'social'
                     ELSE 'school-' || (1 + s.g % :schools) END
            """
        ),
        {"t": params["t"], "cases": sizes.cases, "schools": sizes.schools},
    )
    conn.execute(
        text(
            """
            INSERT INTO case_code_counter (district_id, year, last_number)
            SELECT district_id, split_part(code, '-', 2)::int, max(split_part(code, '-', 3)::int)
            FROM case_file GROUP BY 1, 2;
            INSERT INTO case_agency (case_id, agency_id)
            SELECT id, lead_agency_id FROM case_file
            UNION
            SELECT c.id, a.id FROM case_file c
            JOIN agency a ON a.district_id = c.district_id AND a.slug = 'police';
            INSERT INTO case_restricted (case_id, child_name, birth_date, address, school_class,
                notes, updated_at)
            SELECT id, 'Ребёнок № ' || id, DATE '2012-01-01' + (id % 3000), 'ул. Абая, ' || id,
                (1 + id % 11) || ' класс', 'Сведения о семье', opened_at
            FROM case_file
            """
        )
    )
    conn.execute(
        text(
            """
            INSERT INTO task (district_id, case_id, rule_id, origin, title,
                responsible_agency_id, counted_from, due_at, status, note, completed_at,
                cancel_reason, cancelled_at, created_at, escalation_due_at, sequence)
            SELECT t.district_id, t.case_id, t.rule_id, 'rule', t.title, t.agency_id,
                t.received, t.due, t.status, '',
                CASE WHEN t.status = 'done' THEN t.due - t.k * interval '1 day' END,
                CASE WHEN t.status = 'cancelled' THEN 'Дело передано' ELSE '' END,
                CASE WHEN t.status = 'cancelled' THEN t.received + interval '1 day' END,
                t.received,
                CASE WHEN t.status <> 'open' THEN NULL
                     WHEN t.due > :t + interval '1 day' THEN t.due - interval '1 day'
                     WHEN t.due > :t THEN t.due
                     WHEN t.due > :t - interval '1 day' THEN t.due + interval '1 day'
                END,
                0
            FROM (
                SELECT c.district_id, c.id AS case_id, r.id AS rule_id, r.title_ru AS title,
                    a.id AS agency_id, c.received_at AS received, k,
                    c.received_at + k * interval '3 days' AS due,
                    CASE WHEN c.received_at + k * interval '3 days' >= :t THEN 'open'
                         WHEN (c.id + k) % 20 = 0 THEN 'open'
                         WHEN (c.id + k) % 33 = 0 THEN 'cancelled'
                         ELSE 'done' END AS status
                FROM case_file c CROSS JOIN generate_series(1, :per_case) AS k
                JOIN statutory_rule r ON r.position = k - 1
                JOIN agency a ON a.district_id = c.district_id AND a.slug =
                    (ARRAY['education', 'police', 'guardianship', 'kdnzp', 'social'])[1 + k % 5]
            ) AS t
            """
        ),
        {"t": params["t"], "per_case": sizes.tasks_per_case},
    )


def _emails(conn: Connection, sizes: Sizes, params: dict[str, object]) -> None:
    """The outbox of the last 89 days (sent or voided rows are pruned at 90): per district,
    four in ten about a task (reminders, escalations), five about a meeting (reminders and
    invitations), one a digest; 1 % voided, 0.1 % failed after their last attempt, the rest
    sent. Each carries its district; none is due."""
    columns = table_columns(conn, "notification")
    district = ", district_id" if "district_id" in columns else ""
    conn.execute(
        text(
            """
            CREATE TEMP TABLE numbered_task ON COMMIT DROP AS
                SELECT district_id, id, row_number() OVER (PARTITION BY district_id ORDER BY id)
                    AS n FROM task;
            CREATE TEMP TABLE numbered_meeting ON COMMIT DROP AS
                SELECT district_id, id, row_number() OVER (PARTITION BY district_id ORDER BY id)
                    AS n FROM meeting;
            CREATE TEMP TABLE numbered_user ON COMMIT DROP AS
                SELECT a.district_id, u.id, u.email, u.locale,
                    row_number() OVER (PARTITION BY a.district_id ORDER BY u.id) AS n
                FROM user_account u JOIN agency a ON a.id = u.agency_id;
            CREATE TEMP TABLE counted ON COMMIT DROP AS
                SELECT d.id AS district_id,
                    (SELECT count(*) FROM numbered_task x WHERE x.district_id = d.id) AS tasks,
                    (SELECT count(*) FROM numbered_meeting x WHERE x.district_id = d.id)
                        AS meetings,
                    (SELECT count(*) FROM numbered_user x WHERE x.district_id = d.id) AS users
                FROM district d
            """
        )
    )
    conn.execute(
        text(
            f"""
            INSERT INTO notification (dedupe_key{district}, user_id, recipient, locale, subject,
                body, html, status, attempts, next_attempt_at, created_at, sent_at, kind,
                task_id, meeting_id, meeting_sequence, last_error)
            SELECT 'bench:' || e.district_id || ':' || e.g{district and ", e.district_id"}, u.id,
                u.email, u.locale, e.subject, e.body, '<p>' || e.body || '</p>', e.status,
                CASE e.status WHEN 'failed' THEN 5 ELSE 1 END,
                e.at, e.at - interval '1 minute',
                CASE WHEN e.status = 'sent' THEN e.at END, e.kind,
                CASE WHEN e.kind IN ('task_reminder', 'escalation') THEN t.id END,
                CASE WHEN e.kind IN ('meeting_reminder', 'invitation') THEN m.id END,
                CASE WHEN e.kind IN ('meeting_reminder', 'invitation') THEN 0 END,
                CASE e.status WHEN 'failed' THEN '550 mailbox unavailable' END
            FROM (
                SELECT c.district_id, g, c.tasks, c.meetings, c.users,
                    :t - g * interval '89 days' / :emails AS at,
                    (ARRAY['task_reminder', 'escalation', 'escalation', 'task_reminder',
                           'meeting_reminder', 'meeting_reminder', 'meeting_reminder',
                           'invitation', 'invitation', 'digest'])[1 + g % 10] AS kind,
                    CASE WHEN g % 1000 = 0 THEN 'failed' WHEN g % 100 = 1 THEN 'voided'
                         ELSE 'sent' END AS status,
                    'Напоминание № ' || g AS subject,
                    'Здравствуйте! Это письмо портала «Бірге» о заседании или поручении '
                    || 'вашего ведомства. Срок, место и подробности — по ссылке на портале: '
                    || 'https://birge.bench/items/' || g || '. Это письмо отправлено '
                    || 'автоматически; ответ на него придёт секретарю комиссии.' AS body
                FROM counted c CROSS JOIN generate_series(1, :emails) AS g
            ) AS e
            JOIN numbered_user u ON u.district_id = e.district_id AND u.n = 1 + e.g % e.users
            JOIN numbered_task t ON t.district_id = e.district_id AND t.n = 1 + e.g % e.tasks
            JOIN numbered_meeting m ON m.district_id = e.district_id
                AND m.n = 1 + e.g % e.meetings
            """  # noqa: S608 - our own constants
        ),
        {"t": params["t"], "emails": sizes.emails},
    )


def table_columns(conn: Connection, table: str) -> set[str]:
    return set(
        conn.execute(
            text("SELECT column_name FROM information_schema.columns WHERE table_name = :t"),
            {"t": table},
        ).scalars()
    )

"""The minutes as a DOCX protocol for signature, in the district's language.

Built from :class:`models.minutes.held.HeldMeeting` only: case codes, agency names, the names of the
people who attended and the decisions; nothing from a case's restricted part.
"""

from __future__ import annotations

from io import BytesIO
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from models.core.emails import format_local
from models.core.i18n import N_, translator
from models.core.text import outgoing_text
from models.meetings.tables import KIND_LABELS
from models.minutes.held import HeldMeeting

__all__ = ["PROTOCOL_LOCALES", "build_protocol", "protocol_filename"]

#: The languages a protocol is written in: the district's (Russian by default) or Kazakh.
PROTOCOL_LOCALES = ("ru", "kk")

_LINE = "______________________"
#: The language Word checks spelling in, per protocol language (BCP 47, as Word writes it).
_LANGUAGE_TAGS = {"ru": "ru-RU", "kk": "kk-KZ"}


def _on_a4(document: DocumentObject) -> None:
    """Lay every section on A4 with the margins of an official document (ГОСТ Р 7.0.97:
    30 mm left for filing, 15 mm right, 20 mm top and bottom); python-docx starts on Letter."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
        section.top_margin = section.bottom_margin = Mm(20)


def _in_language(document: DocumentObject, tag: str) -> None:
    """Make *tag* the language of every run by default (python-docx's template says en-US),
    so Word checks the spelling and a screen reader reads the protocol in its language."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    properties = run.find(qn("w:rPr")) if run is not None else None
    if properties is None:
        raise ValueError("the DOCX template has no default run properties")
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.append(language)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        language.set(qn(attribute), tag)


def protocol_filename(held: HeldMeeting, locale: str, zone: ZoneInfo) -> str:
    """Return a file name with no title in it (titles may hold anything): the meeting's id
    and, for a sitting of a series, the sitting's local date."""
    if not held.meeting.is_series:
        return f"protocol-{held.meeting.id}-{locale}.docx"
    day = held.starts_at.astimezone(zone).date().isoformat()
    return f"protocol-{held.meeting.id}-{day}-{locale}.docx"


def build_protocol(held: HeldMeeting, *, locale: str, zone: ZoneInfo) -> bytes:
    """Return the DOCX bytes of *held*'s protocol in *locale*."""
    _ = translator(locale)
    meeting = held.meeting
    document = Document()
    _on_a4(document)
    _in_language(document, _LANGUAGE_TAGS[locale])
    number = held.minutes.protocol_number
    title = (
        _(N_("Minutes No. %(number)s")) % {"number": number}
        if number is not None
        else _(N_("Minutes"))
    )
    properties = document.core_properties
    properties.title = title
    properties.author = "Birge"
    properties.language = _LANGUAGE_TAGS[locale]

    heading = document.add_heading(title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    kind = _(KIND_LABELS[meeting.kind]) if meeting.kind in KIND_LABELS else meeting.kind
    document.add_paragraph(
        f"{kind}: {outgoing_text(held.title)}"
    ).alignment = WD_ALIGN_PARAGRAPH.CENTER
    until = format_time(held.ends_at, "HH:mm", tzinfo=zone, locale=locale)
    facts = [
        (_(N_("When")), f"{format_local(held.starts_at, zone, locale)}–{until}"),
        (_(N_("Place")), outgoing_text(meeting.location) or "—"),
    ]
    if held.case_code:
        facts.append((_(N_("Case")), held.case_code))
    for label, value in facts:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)

    document.add_heading(_(N_("Attendance")), level=1)
    for present in held.attendance:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(outgoing_text(present.agency.name(locale))).bold = True
        if present.present:
            names = ", ".join(outgoing_text(p.full_name) for p in present.people)
            paragraph.add_run(f" — {names}" if names else f" — {_(N_('represented'))}")
        else:
            paragraph.add_run(f" — {_(N_('absent'))}")

    if held.agenda is not None:
        document.add_heading(_(N_("Overdue tasks at the time of the meeting")), level=1)
        if not any(group.lines for group in held.agenda):
            document.add_paragraph(_(N_("No task was overdue.")))
        for group in held.agenda:
            document.add_paragraph(outgoing_text(group.agency.name(locale)), style="Heading 2")
            for item in group.lines:
                due = format_date(item.due_at.astimezone(zone).date(), "long", locale=locale)
                code = f" ({item.case_code})" if item.case_code else ""
                overdue = _(N_("working days overdue: %(days)s")) % {
                    "days": item.working_days_overdue
                }
                document.add_paragraph(
                    f"{outgoing_text(item.title)}{code} — {due}; {overdue}", style="List Bullet"
                )

    document.add_heading(_(N_("Minutes of the meeting")), level=1)
    for text in held.text.splitlines():
        if text.strip():
            document.add_paragraph(outgoing_text(text))

    document.add_heading(_(N_("Decisions")), level=1)
    if held.decisions:
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        header = table.rows[0].cells
        for cell, label in zip(
            header,
            (N_("No."), N_("Decision"), N_("Responsible"), N_("Due")),
            strict=True,
        ):
            cell.text = _(label)
        for number, decided in enumerate(held.decisions, start=1):
            cells = table.add_row().cells
            responsible = outgoing_text(decided.agency.name(locale))
            if decided.assignee is not None:
                responsible += f" ({outgoing_text(decided.assignee.full_name)})"
            due_on = decided.decision.due_at.astimezone(zone).date()
            cells[0].text = str(number)
            cells[1].text = outgoing_text(decided.text)
            cells[2].text = responsible
            cells[3].text = format_date(due_on, "long", locale=locale)
    else:
        document.add_paragraph(_(N_("No decisions were taken.")))

    document.add_heading(_(N_("Signatures")), level=1)
    for label, person in ((_(N_("Chair")), held.chair), (_(N_("Secretary")), held.secretary)):
        name = outgoing_text(person.full_name) if person is not None else _LINE
        document.add_paragraph(f"{label}: {_LINE} / {name}")
    for present in held.attendance:
        if present.present:
            name = outgoing_text(present.agency.name(locale))
            document.add_paragraph(f"{name}: {_LINE} / {_LINE}")
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()

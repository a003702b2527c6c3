"""What the browser walks share: signing in with a chosen language, screenshots to
tests/artifacts/ (git-ignored), and the visible texts the walks look for in ru and kk.

The texts are written out, not taken from the catalog: a missing or drifted translation must
make a walk fail, not follow it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).parents[1] / "artifacts"

#: The languages every main path is walked in.
LANGUAGES = ["ru", "kk"]

TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "upcoming": "Предстоящие встречи",
        "ends_before_start": "Время окончания встречи должно быть позже времени начала.",
        "scheduled": "Встреча назначена, приглашения отправляются.",
        "monthly": "ежемесячно",
        "sitting_moved": "Заседание перенесено; остальные остаются без изменений.",
        "moved": "перенесено",
        "accept": "Приду",
        "recorded_link": "Ваш ответ записан. Спасибо.",
        "recorded": "Ваш ответ записан.",
        "to_answer": "Приглашения, ждущие вашего ответа",
        "none_to_answer": "Приглашений, ждущих вашего ответа, нет.",
        "replies": "Ответы на встречи вашего ведомства",
        "unanswered": "Ещё не ответили: {num} из {total} приглашённых",
        "record_minutes": "Записать протокол",
        "choose_agency": "Выберите ответственное ведомство.",
        "minutes_recorded": "Протокол записан; каждое решение стало поручением.",
        "protocol": "Протокол на подпись (DOCX, русский)",
        "tasks": "Поручения",
        "agency_tasks": "Поручения моего ведомства",
        "calendar": "Календарь",
        "task_deadline": "Срок поручения",
        "overdue_task": "Просроченное поручение",
    },
    "kk": {
        "upcoming": "Алдағы кездесулер",
        "ends_before_start": ("Кездесудің аяқталу уақыты басталу уақытынан кейін болуы тиіс."),
        "scheduled": "Кездесу белгіленді, шақырулар жіберілуде.",
        "monthly": "ай сайын",
        "sitting_moved": "Отырыс ауыстырылды; қалғандары өзгеріссіз қалды.",
        "moved": "ауыстырылды",
        "accept": "Қатысамын",
        "recorded_link": "Жауабыңыз жазылды. Рақмет.",
        "recorded": "Жауабыңыз жазылды.",
        "to_answer": "Жауабыңызды күтіп тұрған шақырулар",
        "none_to_answer": "Жауабыңызды күтіп тұрған шақыру жоқ.",
        "replies": "Ведомствоңыздың кездесулеріне жауаптар",
        "unanswered": "Әлі жауап бермегендер: {total} шақырылғанның {num}",
        "record_minutes": "Хаттаманы жазу",
        "choose_agency": "Жауапты ведомствоны таңдаңыз.",
        "minutes_recorded": "Хаттама жазылды; әр шешім тапсырмаға айналды.",
        "protocol": "Қол қоюға арналған хаттама (DOCX, русский)",
        "tasks": "Тапсырмалар",
        "agency_tasks": "Менің ведомствомның тапсырмалары",
        "calendar": "Күнтізбе",
        "task_deadline": "Тапсырма мерзімі",
        "overdue_task": "Мерзімі өткен тапсырма",
    },
}


def sign_in(
    page: Any, base_url: str, email: str, locale: str | None = None, lands: str = "/"
) -> None:
    """Sign in through the form; with *locale*, choose that language on the sign-in page
    first and check that it is kept after signing in (on *lands*, the account's home)."""
    page.goto(base_url + "/login")
    if locale is not None:
        page.click(f"button[name=locale][value={locale}]")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(base_url + lands)
    if locale is not None:
        assert page.locator("html").get_attribute("lang") == locale


def screenshot(page: Any, name: str) -> None:
    """Keep a full-page screenshot as tests/artifacts/<name>.png, to be looked at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

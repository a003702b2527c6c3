"""Administrators manage agencies and people; coordinators their own agency; CSV import."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.outbox.notifications import Notification
from models.people.tables import Agency, User
from tests.factories import District, csrf_token, login, make_agency, make_district, make_user


def admin_of(session: Session, district: District) -> User:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    session.commit()
    return admin


def count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_admin_adds_a_person_who_gets_a_link_to_choose_a_password(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    form = client.get("/admin/users/new").get_data(as_text=True)
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_token(form),
            "full_name": "Айгүл Серікқызы",
            "email": "Aigul@Police.test",
            "agency_id": str(district.police.id),
            "role": "member",
            "locale": "kk",
        },
    )
    assert response.status_code == 302
    user = session.scalars(select(User).where(User.email == "aigul@police.test")).one()
    assert (user.agency_id, user.role, user.locale, user.password_hash) == (
        district.police.id,
        "member",
        "kk",
        "",
    )
    mail = session.scalars(select(Notification)).one()
    assert mail.recipient == "aigul@police.test" and mail.locale == "kk"
    assert "http://birge.test/password/reset/" in mail.body and "7 күн" in mail.body
    assert "Айгүл Серікқызы" in client.get("/admin/users").get_data(as_text=True)


def test_bad_input_for_a_person_is_shown_at_the_field_and_writes_nothing(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    form = client.get("/admin/users/new").get_data(as_text=True)
    before = (count(session, User), count(session, Notification), count(session, AuditEvent))
    for bad, message in (
        ({"email": "not-an-address"}, "Это не адрес электронной почты."),
        ({"email": district.inspector.email.upper()}, "Этот адрес почты уже занят."),
        ({"agency_id": "999999"}, "Вы не можете добавлять сотрудников в это ведомство."),
        ({"agency_id": "police"}, None),
        ({"role": "emperor"}, "Вы не можете назначить эту роль."),
        ({"full_name": "x" * 201}, None),
        ({"locale": "de"}, None),
    ):
        data = {
            "csrf_token": csrf_token(form),
            "full_name": "Новый сотрудник",
            "email": "new@police.test",
            "agency_id": str(district.police.id),
            "role": "member",
            "locale": "ru",
        } | bad
        response = client.post("/admin/users/new", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, bad
        # WTForms' own messages (translated by the hardening work) are checked by place only.
        assert (message or 'role="alert"') in page, (bad, page)
    after = (count(session, User), count(session, Notification), count(session, AuditEvent))
    assert after == before


def test_a_coordinator_manages_only_their_agencys_members(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.police_head.email)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert district.inspector.email in listing and district.coordinator.email not in listing
    assert client.get(f"/admin/users/{district.coordinator.id}").status_code == 404
    assert client.get("/admin/agencies").status_code == 403
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="admin"' not in form and 'value="chair"' not in form
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": csrf_token(form),
            "full_name": "Чужой",
            "email": "stranger@school.test",
            "agency_id": str(district.school.id),
            "role": "member",
            "locale": "ru",
        },
    )
    assert response.status_code == 400
    assert session.scalars(select(User).where(User.email == "stranger@school.test")).first() is None
    login_page = client.get("/login")
    assert login_page.status_code == 302  # still signed in
    assert client.get("/admin/users/new").status_code == 200
    assert client.get("/admin/users?page=0").status_code == 200
    members = client.get("/admin/users").get_data(as_text=True)
    assert members.count('class="title"') == 3  # head, inspector, retired


def test_members_cannot_administer(client: FlaskClient, district: District) -> None:
    login(client, district.inspector.email)
    assert "/admin/users" not in client.get("/").get_data(as_text=True)
    for path in ("/admin/users", "/admin/users/new", "/admin/agencies", "/admin/import"):
        assert client.get(path).status_code == 403, path


def test_an_admin_changes_role_language_and_agency(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    form = client.get(f"/admin/users/{district.inspector.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{district.inspector.id}",
        data={
            "csrf_token": csrf_token(form),
            "full_name": "Данияр Оспанов",
            "email": district.inspector.email,
            "agency_id": str(district.education.id),
            "role": "coordinator",
            "locale": "kk",
            "active": "y",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    inspector = session.get(User, district.inspector.id)
    assert inspector is not None
    assert (inspector.agency_id, inspector.role, inspector.locale, inspector.full_name) == (
        district.education.id,
        "coordinator",
        "kk",
        "Данияр Оспанов",
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.changed")).one()
    assert "role" in event.detail and "agency" in event.detail


def test_an_admin_adds_and_edits_an_agency_with_its_english_name(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    form = client.get("/admin/agencies/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(form),
        "slug": "health",
        "kind": "health",
        "name_ru": "Районная поликлиника",
        "name_kk": "Аудандық емхана",
        "name_en": "District polyclinic",
        "head_email": "head@health.test",
    }
    bad = client.post("/admin/agencies/new", data=data | {"slug": "Health Dept"})
    assert bad.status_code == 400 and "строчных латинских" in bad.get_data(as_text=True)
    taken = client.post("/admin/agencies/new", data=data | {"slug": "police"})
    assert taken.status_code == 400 and "уже есть" in taken.get_data(as_text=True)
    assert client.post("/admin/agencies/new", data=data).status_code == 302
    agency = session.scalars(select(Agency).where(Agency.slug == "health")).one()
    assert agency.name("en") == "District polyclinic" and agency.name("kk") == "Аудандық емхана"
    edit = client.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/agencies/{agency.id}",
        data=data | {"csrf_token": csrf_token(edit), "name_en": "Central district polyclinic"},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Agency, agency.id).name("en") == "Central district polyclinic"  # type: ignore[union-attr]
    # An agency without an English name reads in Russian, never a mixed sentence of blanks.
    assert district.police.name("en") == "Отдел полиции"


STAFF_CSV = (
    "email;full_name;role;agency;locale\n"
    "a.nurlan@police.test;Нұрлан Әлиев;member;police;kk\n"
    "bad-address;Кто-то;member;police;ru\n"
    "b.olga@school.test;Ольга Ким;coordinator;school-1;\n"
    "c.x@police.test;Иван;emperor;police;ru\n"
    "d.y@nowhere.test;Пётр;member;no-such-agency;ru\n"
    "a.nurlan@police.test;Дубль;member;police;ru\n"
)


def test_staff_csv_import_previews_then_imports_the_valid_rows(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    form = client.get("/admin/import").get_data(as_text=True)
    users_before = count(session, User)
    preview = client.post(
        "/admin/import",
        data={
            "csrf_token": csrf_token(form),
            "kind": "staff",
            "file": (io.BytesIO(STAFF_CSV.encode("utf-8-sig")), "staff.csv"),
        },
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Строк без ошибок: 2, с ошибками: 4." in page
    assert "email: Это не адрес электронной почты." in page  # line 3
    assert (
        "role: Неизвестная роль «emperor» в строке 5; роли: admin, chair, coordinator, member."
        in page
    )
    assert "Вы не можете назначить эту роль." not in page
    assert "agency: Нет ведомства с таким кратким именем." in page
    assert "email: Это значение встречается в файле дважды." in page
    assert count(session, User) == users_before  # a preview writes nothing
    applied = client.post(
        "/admin/import/apply",
        data={"csrf_token": csrf_token(page), "kind": "staff", "content": STAFF_CSV},
    )
    report = applied.get_data(as_text=True)
    assert applied.status_code == 200 and "Импортировано строк: 2" in report
    assert "bad-address" in report and "a.nurlan@police.test" in report  # the duplicate row
    session.expire_all()
    nurlan = session.scalars(select(User).where(User.email == "a.nurlan@police.test")).one()
    assert (nurlan.agency_id, nurlan.locale, nurlan.full_name) == (
        district.police.id,
        "kk",
        "Нұрлан Әлиев",
    )
    olga = session.scalars(select(User).where(User.email == "b.olga@school.test")).one()
    assert (olga.role, olga.locale) == ("coordinator", "ru")
    assert {n.recipient for n in session.scalars(select(Notification))} == {
        "a.nurlan@police.test",
        "b.olga@school.test",
    }


def test_a_coordinators_import_tells_an_unknown_role_from_one_they_may_not_give(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)  # the education department's, reads Russian
    form = client.get("/admin/import").get_data(as_text=True)
    csv_text = (
        "email;full_name;role;agency;locale\n"
        "a.b@education.test;Айгерим Б.;Chair;education;ru\n"
        "c.d@education.test;Данияр Д.;inspector;education;ru\n"
        "e.f@education.test;Ерлан Ф.;member;education;ru\n"
    )
    page = client.post(
        "/admin/import",
        data={
            "csrf_token": csrf_token(form),
            "kind": "staff",
            "file": (io.BytesIO(csv_text.encode()), "staff.csv"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Строк без ошибок: 1, с ошибками: 2." in page
    assert "role: Вы не можете назначить эту роль." in page  # a real role, not theirs to give
    assert (
        "role: Неизвестная роль «inspector» в строке 3; роли: admin, chair, coordinator, member."
        in page
    )


def test_agency_csv_import_in_windows_1251_with_commas(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    csv_text = (
        "slug,kind,name_ru,name_kk,name_en\n"
        "kdnzp,kdnzp,Комиссия по делам несовершеннолетних,Кәмелетке толмағандар комиссиясы,"
        "Juvenile commission\n"
        "police,police,Дубль полиции,Полиция,Police\n"
    )
    form = client.get("/admin/import").get_data(as_text=True)
    # Windows-1251 has no Kazakh letters: Excel users save Russian-only files this way.
    encoded = csv_text.replace("Кәмелетке толмағандар комиссиясы", "Комиссия").encode("cp1251")
    preview = client.post(
        "/admin/import",
        data={
            "csrf_token": csrf_token(form),
            "kind": "agencies",
            "file": (io.BytesIO(encoded), "agencies.csv"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Строк без ошибок: 1, с ошибками: 1." in preview
    assert "slug: Ведомство с таким кратким именем уже есть." in preview


def preview_agencies(client: FlaskClient, csv_text: str) -> str:
    form = client.get("/admin/import").get_data(as_text=True)
    return client.post(
        "/admin/import",
        data={
            "csrf_token": csrf_token(form),
            "kind": "agencies",
            "file": (io.BytesIO(csv_text.encode()), "agencies.csv"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)


def test_an_imported_heads_address_is_checked_like_a_persons(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    too_long = "director." + "x" * 240 + "@school.kz"  # 259 characters: no address column holds it
    preview = preview_agencies(
        client,
        "slug,kind,name_ru,name_kk,head_email\n"
        f"school-12,school,Школа № 12,№ 12 мектеп,{too_long}\n"
        "school-14,school,Школа № 14,№ 14 мектеп,director@school14.kz\n",
    )
    assert "Строк без ошибок: 1, с ошибками: 1." in preview
    assert "head_email: Это не адрес электронной почты." in preview


def test_an_agencys_head_gets_a_language_of_their_own_in_the_form_and_the_csv(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    police = district.police
    assert police.head_locale == "ru"  # until an administrator says otherwise
    edit = client.get(f"/admin/agencies/{police.id}").get_data(as_text=True)
    assert 'name="head_locale"' in edit
    response = client.post(
        f"/admin/agencies/{police.id}",
        data={
            "csrf_token": csrf_token(edit),
            "kind": "police",
            "name_ru": police.name_ru,
            "name_kk": police.name_kk,
            "head_email": "head@police.test",
            "head_locale": "kk",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Agency, police.id).head_locale == "kk"  # type: ignore[union-attr]

    csv_text = (
        "slug,kind,name_ru,name_kk,head_email,head_locale\n"
        "school-12,school,Школа № 12,№ 12 мектеп,director@school12.kz,KK\n"
        "school-14,school,Школа № 14,№ 14 мектеп,director@school14.kz,\n"
        "school-15,school,Школа № 15,№ 15 мектеп,director@school15.kz,fr\n"
    )
    preview = preview_agencies(client, csv_text)
    assert "Строк без ошибок: 2, с ошибками: 1." in preview
    assert "head_locale: Выберите язык." in preview
    applied = client.post(
        "/admin/import/apply",
        data={"csrf_token": csrf_token(preview), "kind": "agencies", "content": csv_text},
    )
    assert "Импортировано строк: 2" in applied.get_data(as_text=True)
    session.expire_all()
    heads = {
        a.slug: a.head_locale
        for a in session.scalars(select(Agency).where(Agency.slug.startswith("school-1")))  # type: ignore[attr-defined]
    }
    assert heads == {"school-1": "ru", "school-12": "kk", "school-14": "ru"}


def test_an_unreadable_file_is_refused_at_the_field(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, admin_of(session, district).email)
    form = client.get("/admin/import").get_data(as_text=True)
    for content, message in (
        (b"", "Файл пуст."),
        (b"name,phone\nx,y\n", "В первой строке должны быть названия столбцов"),
        (b"email;full_name;role;agency\n", "В файле нет строк под заголовком."),
        (b"\x00\x01\x02binary", "Это не файл CSV."),
    ):
        response = client.post(
            "/admin/import",
            data={
                "csrf_token": csrf_token(form),
                "kind": "staff",
                "file": (io.BytesIO(content), "staff.csv"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, content
        assert message in response.get_data(as_text=True), content
    missing = client.post("/admin/import", data={"csrf_token": csrf_token(form), "kind": "staff"})
    assert missing.status_code == 400 and "Выберите файл." in missing.get_data(as_text=True)


def test_an_import_names_the_agencies_of_the_importers_district_only(
    client: FlaskClient, district: District, session: Session
) -> None:
    """Another district has its own ``police`` and ``school-1``: a staff row goes to this
    district's police, and an agency row may take a slug another district uses."""
    other = make_district(session, "-2")
    login(client, admin_of(session, district).email)
    staff = "email;full_name;role;agency\nnew.inspector@police.test;Асель Н.;member;police\n"
    form = client.get("/admin/import").get_data(as_text=True)
    applied = client.post(
        "/admin/import/apply",
        data={"csrf_token": csrf_token(form), "kind": "staff", "content": staff},
    )
    assert applied.status_code == 302
    made = session.scalars(select(User).where(User.email == "new.inspector@police.test")).one()
    assert made.agency_id == district.police.id != other.police.id
    agencies = "slug,kind,name_ru,name_kk\nhealth,health,Поликлиника,Емхана\n"
    make_agency(session, other.row, "health", "health")
    session.commit()
    assert "Строк без ошибок: 1, с ошибками: 0." in preview_agencies(client, agencies)

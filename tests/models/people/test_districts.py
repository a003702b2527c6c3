"""Regions and districts on one deployment: making a district, slugs per district, and naming
an agency by its slug where no district's page says which district is meant."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.core.audit import AuditEvent
from models.people.administration import AdminError, AgencyChange, check_agency
from models.people.districts import (
    AgencyLookupError,
    DistrictDraft,
    DistrictError,
    agency_by_slug,
    create_district,
    list_districts,
)
from models.people.tables import Agency, Region
from tests.factories import District, make_agency, make_district

DRAFT = DistrictDraft(
    region="Западно-Казахстанская область",
    region_kk="Батыс Қазақстан облысы",
    name_ru="Бурлинский район",
    name_kk="Бөрлі ауданы",
    case_prefix="brl",
)


def test_a_district_is_made_in_its_region_with_its_akimat(
    session: Session, district: District
) -> None:
    made = create_district(session, DRAFT)
    again = create_district(
        session,
        DistrictDraft(
            region="батыс қазақстан облысы", name_ru="Теректинский район", name_kk="Бәйтерек",
            case_prefix="TRK",
        ),
    )  # fmt: skip
    session.commit()
    regions = session.scalars(select(Region)).all()
    assert [(r.name_ru, r.name_kk) for r in regions] == [
        ("Западно-Казахстанская область", "Батыс Қазақстан облысы")
    ]  # found again by its Kazakh name, whatever the letter case
    assert made.region_id == again.region_id == regions[0].id
    assert made.case_prefix == "BRL" and made.timezone == "Asia/Almaty"
    akimat = agency_by_slug(session, "akimat", made.id)
    assert akimat.kind == "akimat" and akimat.name_ru == "Аппарат акима (Бурлинский район)"
    listed = {d.district.id: d for d in list_districts(session)}
    assert listed[made.id].agencies == 1 and listed[made.id].region == regions[0]
    assert listed[district.row.id].region is None and listed[district.row.id].agencies == 4
    actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("district.created") == 2 and actions.count("region.created") == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"case_prefix": "D"}, "case_prefix"),  # the first district's
        ({"case_prefix": "ABCDE"}, "case_prefix"),
        ({"case_prefix": "Б"}, "case_prefix"),
        ({"case_prefix": ""}, "case_prefix"),
        ({"name_ru": " "}, "name_ru"),
        ({"name_kk": "x" * 201}, "name_kk"),
        ({"region": "Обл\x1bасть"}, "region"),
        ({"timezone": "Asia/Nowhere"}, "timezone"),
        ({"timezone": "../etc"}, "timezone"),
    ],
)
def test_a_bad_district_is_refused_at_its_field_and_writes_nothing(
    session: Session, district: District, change: dict[str, str], field: str
) -> None:
    with pytest.raises(DistrictError) as refused:
        create_district(session, DistrictDraft(**{**DRAFT.__dict__, **change}))
    assert refused.value.field == field
    assert session.scalars(select(Region)).all() == []
    assert len(list_districts(session)) == 1


def test_each_district_has_its_own_police_and_a_bare_slug_must_name_one_agency(
    session: Session, district: District
) -> None:
    other = make_district(session, "-2")
    session.commit()
    assert district.police.slug == other.police.slug == "police"
    assert agency_by_slug(session, "police", district.row.id) == district.police
    assert agency_by_slug(session, " Police ", other.row.id) == other.police
    with pytest.raises(AgencyLookupError) as ambiguous:
        agency_by_slug(session, "police")
    assert ambiguous.value.field == "district"
    with pytest.raises(AgencyLookupError) as unknown:
        agency_by_slug(session, "customs", district.row.id)
    assert unknown.value.field == "agency"
    alone = make_agency(session, other.row, "ngo-zhanuya", "ngo")
    assert agency_by_slug(session, "ngo-zhanuya") == alone  # one of the deployment: enough


def test_a_slug_is_unique_within_its_district_only(session: Session, district: District) -> None:
    other = make_district(session, "-2")
    session.commit()
    new = AgencyChange(slug="health", kind="health", name_ru="Поликлиника", name_kk="Емхана")
    check_agency(session, new, district.row.id or 0)  # police elsewhere does not matter
    taken = AgencyChange(**{**new.__dict__, "slug": "police"})
    with pytest.raises(AdminError) as refused:
        check_agency(session, taken, other.row.id or 0)
    assert refused.value.field == "slug"
    twin = Agency(
        district_id=other.row.id or 0, slug="police", kind="police", name_ru="П", name_kk="П"
    )
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.flush()

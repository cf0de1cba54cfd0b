import random

import pytest

from core.catalog.models import ServiceItem
from core.common.pagination import capped_count
from core.directory import uscc
from core.directory.models import Enterprise, Institution
from core.directory.selectors import enterprise_search, institution_search
from tests.conftest import host_client
from tests.core.directory.builders import full_width, spaced

pytestmark = pytest.mark.django_db
RNG = random.Random(7)  # noqa: S311  (test data)


@pytest.fixture
def enterprises():
    names = ["铁岭市银州机械制造有限公司", "开原市兴开食品有限公司", "调兵山市煤矿机械有限公司", "铁岭县农机合作社"]
    districts = ["yinzhou", "kaiyuan", "diaobingshan", "tieling_county"]
    return [
        Enterprise.objects.create(name=n, uscc=uscc.generate(RNG), district=d, industry="C")
        for n, d in zip(names, districts, strict=True)
    ]


def test_name_substring(enterprises):
    assert [e.name for e in enterprise_search(q="机械")] == ["调兵山市煤矿机械有限公司", "铁岭市银州机械制造有限公司"]


def test_fuzzy_name_tolerates_a_wrong_character(enterprises):
    assert enterprise_search(q="开原市兴开食品公司").first().name == "开原市兴开食品有限公司"
    assert enterprise_search(q="开原市兴开食晶有限公司", cap=10).first().name == "开原市兴开食品有限公司"


def test_similar_names_only_when_no_name_contains_the_fragment(enterprises):
    # "银州机械" is contained in one name; the names merely like it (another 机械 company) stay out.
    assert [e.name for e in enterprise_search(q="银州机械")] == ["铁岭市银州机械制造有限公司"]


def test_two_characters_use_the_bigram_index_and_one_character_still_matches(enterprises):
    assert [e.name for e in enterprise_search(q="开原", cap=10)] == ["开原市兴开食品有限公司"]
    assert [e.name for e in enterprise_search(q="农", cap=10)] == ["铁岭县农机合作社"]
    sql = str(enterprise_search(q="开原").query)
    assert "directory_bigrams" in sql


def test_best_match_first_within_the_cap(enterprises):
    Enterprise.objects.create(name="机械", uscc=uscc.generate(RNG), district="yinzhou")
    assert enterprise_search(q="机械", cap=10).first().name == "机械"


def test_count_stops_at_the_cap_and_says_there_are_more(enterprises):
    assert capped_count(enterprise_search(q="有限公司", cap=2), cap=2) == (2, True)
    assert capped_count(enterprise_search(q="有限公司", cap=3), cap=3) == (3, False)
    assert capped_count(enterprise_search(), cap=10) == (4, False)


def test_uscc_prefix(enterprises):
    code = enterprises[1].uscc
    assert list(enterprise_search(q=code[:10].lower())) == [enterprises[1]]
    assert list(enterprise_search(uscc=code[:12])) == [enterprises[1]]


def test_a_full_width_or_spaced_uscc_is_searched_as_its_compact_form(enterprises):
    code = enterprises[2].uscc
    for typed in (full_width(code), spaced(code), full_width(code[:12]), spaced(code)[:15]):
        assert list(enterprise_search(q=typed)) == [enterprises[2]], typed
        assert list(enterprise_search(uscc=typed)) == [enterprises[2]], typed


def test_the_directory_page_and_api_find_an_enterprise_by_its_full_width_uscc(city, public_host, enterprises):
    client = host_client(public_host, city.bureau_viewer)
    code = enterprises[0].uscc
    page = client.get("/directory/enterprises/", {"q": full_width(code)})
    assert [e.pk for e in page.context["page"]] == [enterprises[0].pk]
    assert enterprises[0].name in page.content.decode()
    api = client.get("/api/v1/enterprises/", {"q": spaced(code)}).json()
    assert [e["uscc"] for e in api["results"]] == [code]
    assert [e["uscc"] for e in client.get("/api/v1/enterprises/", {"uscc": full_width(code)}).json()["results"]] == [
        code
    ]


def test_uscc_prefix_results_come_in_code_order(enterprises):
    codes = [e.uscc for e in enterprise_search(q=enterprises[0].uscc[:2])]
    assert codes == sorted(codes)
    assert len(codes) == sum(e.uscc.startswith(enterprises[0].uscc[:2]) for e in enterprises)


def test_combined_filters(enterprises):
    assert [e.name for e in enterprise_search(q="机械", district="diaobingshan")] == ["调兵山市煤矿机械有限公司"]
    assert list(enterprise_search(q="机械", industry="A")) == []


def test_who_can_calibrate_pressure_gauges_in_kaiyuan():
    calibration = ServiceItem.objects.get(clause="5.1.6.2")
    in_kaiyuan = Institution.objects.create(name="开原计量所", kind="metrology", districts=["kaiyuan"])
    elsewhere = Institution.objects.create(name="西丰计量所", kind="metrology", districts=["xifeng"])
    retired = Institution.objects.create(name="停用计量所", kind="metrology", districts=["kaiyuan"], is_active=False)
    for institution in (in_kaiyuan, elsewhere, retired):
        institution.items.add(calibration)
    assert list(institution_search(item="5.1.6.2", district="kaiyuan")) == [in_kaiyuan]


@pytest.mark.clause("7.3")
def test_the_shared_directory_holds_registration_facts_only():
    # Anything a station learns while serving an enterprise belongs in that station's schema. A new field here
    # must be a registration fact, and this list changes with it on purpose.
    fields = {field.name for field in Enterprise._meta.get_fields() if not field.auto_created}
    assert fields == {
        "name", "uscc", "legal_representative", "address", "district", "industry", "scale",
        "contact_person", "phone", "email", "source_station", "created_by_id", "created_at", "updated_at",
        "name_pinyin", "name_initials",  # the name as typed in pinyin (issue 20): still the registered name
    }  # fmt: skip

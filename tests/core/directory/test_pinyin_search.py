"""Search as Chinese users type (issue 20): names found by their full pinyin and by their initials, through the
selectors, the pages and the API, with the pinyin kept by the services and the import."""

import random

import pytest

from core.directory import uscc
from core.directory.models import Enterprise, Institution
from core.directory.pinyin import pinyin_query, search_names
from core.directory.selectors import enterprise_search, institution_search
from core.directory.services import enterprise_create, enterprise_update, institution_create
from tests.conftest import host_client
from tests.core.directory.test_import import enterprise_row, run

pytestmark = pytest.mark.django_db
RNG = random.Random(2020)  # noqa: S311  (test data)


def add(city, name: str, district: str = "yinzhou") -> Enterprise:
    return enterprise_create(
        user=city.alpha_staff, station=city.alpha, name=name, uscc=uscc.generate(RNG), district=district
    )


@pytest.fixture
def enterprises(city):
    return [
        add(city, name)
        for name in (
            "铁岭市恒信阀门有限公司",
            "恒信阀门有限公司",
            "开原市宏鑫机械制造有限公司",
            "调兵山市煤矿机械有限公司",
        )
    ]


def names(queryset) -> list[str]:
    return [entry.name for entry in queryset]


def test_a_name_in_pinyin_and_initials():
    assert search_names("铁岭市恒信阀门有限公司") == ("tielingshihengxinfamenyouxiangongsi", "tlshxfmyxgs")
    # Words give a character its reading (重庆, 银行); Latin letters and digits stay; brackets go; ü is typed v.
    assert search_names("重庆银行") == ("chongqingyinhang", "cqyh")
    assert search_names("TCL电子（铁岭）有限公司") == ("tcldianzitielingyouxiangongsi", "tcldztlyxgs")
    assert search_names("绿源１号") == ("lvyuan1hao", "ly1h")


def test_what_is_a_pinyin_query():
    assert pinyin_query("hxfm") == "hxfm"
    assert pinyin_query(" Heng Xin ") == "hengxin"
    assert pinyin_query("xi'an") == "xian"
    assert pinyin_query("ｈｘｆｍ") == "hxfm"
    for not_pinyin in ("h", "恒信", "hx1", "9121"):
        assert pinyin_query(not_pinyin) == ""


def test_initials_find_the_name(enterprises):
    assert names(enterprise_search(q="hxfm")) == ["恒信阀门有限公司", "铁岭市恒信阀门有限公司"]
    assert names(enterprise_search(q="HXFM", cap=1000)) == ["恒信阀门有限公司", "铁岭市恒信阀门有限公司"]


def test_full_pinyin_finds_the_name(enterprises):
    assert set(names(enterprise_search(q="hengxin"))) == {"恒信阀门有限公司", "铁岭市恒信阀门有限公司"}
    assert set(names(enterprise_search(q="heng xin famen", cap=1000))) == {"恒信阀门有限公司", "铁岭市恒信阀门有限公司"}
    assert names(enterprise_search(q="meikuang")) == ["调兵山市煤矿机械有限公司"]


def test_two_initials_use_their_own_index_and_still_match(enterprises):
    assert set(names(enterprise_search(q="hx", cap=1000))) == {
        "恒信阀门有限公司",
        "铁岭市恒信阀门有限公司",
        "开原市宏鑫机械制造有限公司",
    }
    sql = str(enterprise_search(q="hx").query)
    assert "directory_bigrams" in sql and "name_initials" in sql


def test_latin_letters_are_never_taken_for_the_start_of_a_uscc(enterprises):
    # H, X, F and M are all letters of the code's alphabet; a code's start holds digits.
    assert names(enterprise_search(q="hxfm"))
    code = enterprises[2].uscc
    assert list(enterprise_search(q=code[:16].lower())) == [enterprises[2]]


def test_filters_narrow_a_pinyin_search(enterprises):
    assert names(enterprise_search(q="hxjx", district="yinzhou")) == ["开原市宏鑫机械制造有限公司"]
    assert names(enterprise_search(q="hxjx", district="kaiyuan")) == []


def test_a_renamed_enterprise_is_found_by_its_new_pinyin(city, enterprises):
    enterprise_update(
        enterprise=enterprises[3], user=city.alpha_staff, station=city.alpha, name="调兵山市恒远建材有限公司"
    )
    assert names(enterprise_search(q="hyjc")) == ["调兵山市恒远建材有限公司"]
    assert names(enterprise_search(q="meikuang")) == []


def test_imported_enterprises_are_found_by_pinyin(city):
    job = run([enterprise_row("铁岭市恒信阀门有限公司"), enterprise_row("开原市宏鑫机械制造有限公司")])
    assert job.summary["created"] == 2
    assert names(enterprise_search(q="hxfm")) == ["铁岭市恒信阀门有限公司"]
    entry = Enterprise.objects.get(name="开原市宏鑫机械制造有限公司")
    assert (entry.name_pinyin, entry.name_initials) == search_names(entry.name)


def test_institutions_by_pinyin_and_initials(city):
    institution_create(user=city.bureau_admin, station=None, name="铁岭市计量测试所", kind="metrology")
    institution_create(user=city.bureau_admin, station=None, name="铁岭市产品质量检验检测中心", kind="testing")
    assert names(institution_search(q="jlcs")) == ["铁岭市计量测试所"]
    assert names(institution_search(q="jianyan")) == ["铁岭市产品质量检验检测中心"]
    assert set(names(institution_search(q="tieling"))) == {"铁岭市计量测试所", "铁岭市产品质量检验检测中心"}


def test_the_page_and_the_api_find_by_initials(city, public_host, enterprises):
    institution_create(user=city.bureau_admin, station=None, name="铁岭市计量测试所", kind="metrology")
    client = host_client(public_host, city.bureau_viewer)
    page = client.get("/directory/enterprises/", {"q": "hxfm"})
    assert names(page.context["page"]) == ["恒信阀门有限公司", "铁岭市恒信阀门有限公司"]
    api = client.get("/api/v1/enterprises/", {"q": "hengxin"}).json()
    assert {row["name"] for row in api["results"]} == {"恒信阀门有限公司", "铁岭市恒信阀门有限公司"}
    assert [row["name"] for row in client.get("/api/v1/institutions/", {"q": "jlcs"}).json()["results"]] == [
        "铁岭市计量测试所"
    ]


def test_a_pinyin_search_costs_the_queries_of_a_name_search(city, public_host, django_assert_num_queries):
    for n in range(30):
        add(city, f"恒信查询计数企业{n}")
    client = host_client(public_host, city.bureau_viewer)
    # search path, session, user, does any name contain it (else: names like it), the page with its count
    with django_assert_num_queries(6):
        response = client.get("/api/v1/enterprises/?q=hxcxjs&limit=25")
    assert len(response.json()["results"]) == 25
    assert response.json()["count"] == 30


def test_rows_added_outside_the_services_have_empty_pinyin_not_an_error():
    Institution.objects.create(name="直接写入的机构", kind="other")
    entry = Institution.objects.get(name="直接写入的机构")
    assert (entry.name_pinyin, entry.name_initials) == ("", "")

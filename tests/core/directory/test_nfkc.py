"""Names and codes in Unicode NFKC (issue 20): full-width brackets, letters and digits are kept and searched as
their half-width twins, whichever way they were typed; the migration normalises the rows already kept."""

import importlib
import random

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.common.text import text_nfkc
from core.directory import uscc
from core.directory.models import Enterprise, Institution
from core.directory.selectors import enterprise_search, institution_search
from core.directory.services import enterprise_create, enterprise_update, institution_create
from tests.conftest import host_client
from tests.core.directory.builders import full_width
from tests.core.directory.test_import import enterprise_row, run

pytestmark = pytest.mark.django_db
RNG = random.Random(2021)  # noqa: S311  (test data)
MIGRATION = importlib.import_module("core.directory.migrations.0005_pinyin_and_nfkc")


def test_text_nfkc():
    assert text_nfkc("铁岭（开原）ＡＢＣ１２３　有限公司") == "铁岭(开原)ABC123 有限公司"
    assert text_nfkc("铁岭恒信") == "铁岭恒信"


def test_a_full_width_name_and_code_are_kept_half_width(city):
    code = uscc.generate(RNG)
    entry = enterprise_create(
        user=city.alpha_staff,
        station=city.alpha,
        name="铁岭（开原）恒信１号阀门有限公司",
        uscc=full_width(code),
        district="kaiyuan",
    )
    entry.refresh_from_db()
    assert (entry.name, entry.uscc) == ("铁岭(开原)恒信1号阀门有限公司", code)
    enterprise_update(
        enterprise=entry, user=city.alpha_staff, station=city.alpha, name="铁岭（开原）恒信２号阀门有限公司"
    )
    entry.refresh_from_db()
    assert entry.name == "铁岭(开原)恒信2号阀门有限公司"


def test_full_and_half_width_find_each_other(city):
    half = enterprise_create(
        user=city.alpha_staff,
        station=city.alpha,
        name="铁岭(银州)鼎盛1号有限公司",
        uscc=uscc.generate(RNG),
        district="yinzhou",
    )
    full = enterprise_create(
        user=city.alpha_staff,
        station=city.alpha,
        name="铁岭（银州）鼎盛２号有限公司",
        uscc=uscc.generate(RNG),
        district="yinzhou",
    )
    for typed in ("（银州）鼎盛", "(银州)鼎盛"):
        assert set(enterprise_search(q=typed)) == {half, full}, typed
    assert list(enterprise_search(q="鼎盛１号")) == [half]
    assert list(enterprise_search(q="鼎盛2号")) == [full]


def test_institutions_too_and_a_full_width_twin_is_a_duplicate(city):
    institution_create(user=city.bureau_admin, station=None, name="ＡＢＣ检测（铁岭）中心", kind="testing")
    assert Institution.objects.filter(name="ABC检测(铁岭)中心").exists()
    assert [i.name for i in institution_search(q="ABC检测（铁岭）")] == ["ABC检测(铁岭)中心"]
    with pytest.raises(ValidationError):
        institution_create(user=city.bureau_admin, station=None, name="abc检测(铁岭)中心", kind="testing")


def test_the_api_filters_are_normalised(city, public_host):
    enterprise_create(
        user=city.alpha_staff,
        station=city.alpha,
        name="铁岭(清河)华泰3号有限公司",
        uscc=uscc.generate(RNG),
        district="qinghe",
    )
    client = host_client(public_host, city.bureau_viewer)
    found = client.get("/api/v1/enterprises/", {"q": "（清河）华泰３号"}).json()["results"]
    assert [row["name"] for row in found] == ["铁岭(清河)华泰3号有限公司"]


def test_imported_names_are_kept_half_width(city):
    run([enterprise_row("铁岭（西丰）顺达１号有限公司")])
    assert Enterprise.objects.filter(name="铁岭(西丰)顺达1号有限公司").exists()


def test_the_migration_normalises_kept_rows_and_reports_a_code_another_entry_holds(capsys):
    code, other = uscc.generate(RNG), uscc.generate(RNG)
    kept = Enterprise.objects.create(name="已登记企业", uscc=code, district="yinzhou")
    twin = Enterprise.objects.create(name="全角代码企业", uscc=full_width(code), district="yinzhou")
    wide = Enterprise.objects.create(name="铁岭（调兵山）鼎盛有限公司", uscc=full_width(other), district="diaobingshan")
    Institution.objects.create(name="XYZ检测中心", kind="testing")
    twin_institution = Institution.objects.create(name="ＸＹＺ检测中心", kind="testing")
    with connection.cursor() as cursor:
        MIGRATION._normalise(cursor, "directory_enterprise", unique_uscc=True, unique_name=False)
        MIGRATION._normalise(cursor, "directory_institution", unique_uscc=False, unique_name=True)
    for entry in (kept, twin, wide, twin_institution):
        entry.refresh_from_db()
    assert (wide.name, wide.uscc, wide.name_initials) == ("铁岭(调兵山)鼎盛有限公司", other, "tldbsdsyxgs")
    assert twin.uscc == full_width(code), "left as it was: its normal form is another entry's"
    assert twin.name_pinyin == "quanjiaodaimaqiye"
    assert twin_institution.name == "ＸＹＺ检测中心"
    printed = capsys.readouterr().out
    assert f"#{twin.pk}" in printed and f"#{twin_institution.pk}" in printed

"""Bulk import: good rows, bad rows, duplicates, who may update, progress and the per-row report."""

import random

import pytest

from core.directory import uscc
from core.directory.columns import ENTERPRISE_COLUMNS, INSTITUTION_COLUMNS
from core.directory.imports import BATCH, directory_import_run
from core.directory.models import Enterprise, Institution
from core.directory.tables import read_rows, write_csv, write_xlsx
from core.jobs.models import JobStatus
from core.jobs.services import job_create
from tests.core.directory.builders import full_width, spaced

pytestmark = pytest.mark.django_db

HEADERS = [column.header for column in ENTERPRISE_COLUMNS]
RNG = random.Random(20261123)  # noqa: S311  (test data)


def enterprise_row(name: str, code: str | None = None, district: str = "银州区") -> list[str]:
    return [
        name,
        code or uscc.generate(RNG),
        "张三",
        "铁岭市某路1号",
        district,
        "制造业",
        "小型",
        "李四",
        "024-72000000",
        "",
    ]


def run(rows, *, station=None, name="enterprises.csv", kind="directory.enterprise_import", headers=HEADERS):
    data = write_xlsx(headers, rows) if name.endswith(".xlsx") else write_csv(headers, rows)
    job = job_create(kind=kind, input_name=name, input_data=data)
    return directory_import_run(job_id=job.pk, station_id=station.pk if station else None)


def report(job) -> list[list[str]]:
    _headers, rows, _count = read_rows("report.csv", bytes(job.result_data))
    return list(rows)


@pytest.mark.parametrize("name", ["enterprises.csv", "enterprises.xlsx"])
def test_good_rows_are_created_with_chinese_labels_understood(city, name):
    job = run(
        [enterprise_row("铁岭好企业有限公司"), enterprise_row("开原好企业有限公司", district="开原市")], name=name
    )
    assert job.status == JobStatus.SUCCEEDED
    assert job.summary == {"created": 2, "updated": 0, "kept": 0, "failed": 0}
    enterprise = Enterprise.objects.get(name="开原好企业有限公司")
    assert (enterprise.district, enterprise.industry, enterprise.scale) == ("kaiyuan", "C", "small")
    assert enterprise.source_station is None
    assert job.result_data == b""  # nothing to report


def test_bad_rows_are_reported_and_never_block_the_good_ones(city):
    good = enterprise_row("好企业有限公司")
    bad_check = enterprise_row("校验位错误公司", good[1][:17] + ("0" if good[1][17] != "0" else "1"))
    bad_district = enterprise_row("区县错误公司", district="火星")
    missing_name = enterprise_row("")
    job = run([bad_check, good, bad_district, missing_name])
    assert job.summary == {"created": 1, "updated": 0, "kept": 0, "failed": 3}
    assert Enterprise.objects.filter(name="好企业有限公司").exists()
    lines = {row[0]: row for row in report(job)}
    assert set(lines) == {"2", "4", "5"}  # sheet rows; the header is row 1
    assert lines["2"][1] == "失败" and "统一社会信用代码" in lines["2"][2] and "校验" in lines["2"][2]
    assert "所在区县" in lines["4"][2] and "火星" in lines["4"][2]
    assert "企业名称" in lines["5"][2]
    assert lines["4"][3] == "区县错误公司"  # the report carries what the user typed


def test_duplicates_update_by_uscc_and_repeats_in_one_file_are_refused(city):
    code = uscc.generate(RNG)
    assert run([enterprise_row("旧名称有限公司", code)]).summary["created"] == 1
    job = run([enterprise_row("新名称有限公司", code), enterprise_row("重复行公司", code)])
    assert job.summary == {"created": 0, "updated": 1, "kept": 0, "failed": 1}
    assert Enterprise.objects.get(uscc=code).name == "新名称有限公司"
    assert "第2行" in report(job)[0][2]


def test_a_known_uscc_in_full_width_or_with_spaces_updates_that_enterprise(city):
    code = uscc.generate(RNG)
    assert run([enterprise_row("全角导入企业", code)]).summary["created"] == 1
    assert run([enterprise_row("全角导入企业（更名）", full_width(code))]).summary["updated"] == 1
    job = run([enterprise_row("空格导入企业", spaced(code)), enterprise_row("同一代码再一行", code)])
    assert job.summary == {"created": 0, "updated": 1, "kept": 0, "failed": 1}
    assert list(Enterprise.objects.filter(uscc=code).values_list("name", flat=True)) == ["空格导入企业"]


def test_a_station_keeps_entries_added_by_others_and_updates_its_own(city):
    others, own = uscc.generate(RNG), uscc.generate(RNG)
    run([enterprise_row("市局登记企业", others)])
    run([enterprise_row("本站登记企业", own)], station=city.alpha)
    job = run([enterprise_row("试图改名", others), enterprise_row("本站改名", own)], station=city.alpha)
    assert job.summary == {"created": 0, "updated": 1, "kept": 1, "failed": 0}
    assert Enterprise.objects.get(uscc=others).name == "市局登记企业"
    assert Enterprise.objects.get(uscc=own).name == "本站改名"
    assert report(job)[0][1] == "保留原记录"


def test_progress_is_reported_batch_by_batch(city, django_assert_max_num_queries):
    rows = [enterprise_row(f"批量企业{n}") for n in range(BATCH + 5)]
    # Not a query per row: a few queries per batch of BATCH rows.
    with django_assert_max_num_queries(40):
        job = run(rows)
    assert (job.total, job.done, job.percent) == (BATCH + 5, BATCH + 5, 100)
    assert job.summary["created"] == BATCH + 5


def test_a_file_without_the_required_columns_fails_the_job_with_a_clear_reason(city):
    job = run([["x"]], headers=["名字"])
    assert job.status == JobStatus.FAILED
    assert "企业名称" in job.error and "统一社会信用代码" in job.error


def test_an_unreadable_file_fails_the_job(city):
    job = job_create(kind="directory.enterprise_import", input_name="x.xlsx", input_data=b"not a workbook")
    job = directory_import_run(job_id=job.pk, station_id=None)
    assert job.status == JobStatus.FAILED
    assert "CSV" in job.error


def test_a_finished_job_is_not_run_twice(city):
    job = run([enterprise_row("只导入一次公司")])
    again = directory_import_run(job_id=job.pk, station_id=None)
    assert again.summary == job.summary
    assert Enterprise.objects.filter(name="只导入一次公司").count() == 1


def test_institutions_import_with_items_districts_and_qualifications(city):
    headers = [column.header for column in INSTITUTION_COLUMNS]
    rows = [
        ["铁岭市计量测试所", "计量技术机构", "", "银州区", "银州区、开原市", "5.1.6.1、5.1.6.2", "王五", "024-1", "", "是",
         "CMA|210012345678|2027-12-31"],
        ["未知项目机构", "检验检测机构", "", "", "", "5.9.9.9", "", "", "", "是", ""],
    ]  # fmt: skip
    job = run(rows, headers=headers, name="institutions.csv", kind="directory.institution_import")
    assert job.summary == {"created": 1, "updated": 0, "kept": 0, "failed": 1}
    institution = Institution.objects.get(name="铁岭市计量测试所")
    assert institution.districts == ["yinzhou", "kaiyuan"]
    assert sorted(item.clause for item in institution.items.all()) == ["5.1.6.1", "5.1.6.2"]
    assert institution.qualifications.get().number == "210012345678"
    assert "5.9.9.9" in report(job)[0][2]

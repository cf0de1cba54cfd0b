"""A real browser submits the onboarding form while a deploy runs (issue 21): the console refuses with the reason,
keeps what was typed, and no station is made."""

import os
from pathlib import Path

import psycopg2
import pytest

from tenants.deploys import DEPLOY_LOCK
from tenants.models import Station
from tests.browser.test_referral import sign_in
from tests.committed import on_own_connection
from tests.processes import database_url

pytestmark = [pytest.mark.browser]


def test_the_onboarding_form_is_refused_while_a_deploy_runs(city, web_server, browser, tmp_path):
    screens = Path(os.environ.get("STATIONNET_VAR_DIR", tmp_path)) / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    deploy = psycopg2.connect(database_url())  # what migrate_schemas holds for its whole run
    try:
        with deploy.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [DEPLOY_LOCK])
        public = f"http://localhost:{web_server}"
        page = browser.new_page()
        sign_in(page, public, city.bureau_admin.username, "/console/stations/new/")
        page.fill("#id_name", "部署期间测试站")
        page.fill("#id_code", "deploying")
        page.select_option("#id_district", index=1)
        page.fill("#id_address", "铁岭市清河区红旗街1号")
        page.fill("#id_service_phone", "024-75100001")
        page.fill("#id_complaint_phone", "024-75100002")
        page.fill("#id_hours", "周一至周五 8:30-17:00")
        page.fill("#id_founding_body", "铁岭市市场监督管理局")
        page.fill("#id_head_full_name", "吴海")
        page.fill("#id_head_phone", "13800000000")
        page.fill("#id_head_email", "deploying-head@example.test")
        page.click("#station-new button[type=submit]")
        page.wait_for_selector("#station-new .field-error[role=alert]")
        assert "平台正在升级，请几分钟后再开通服务站。" in page.text_content("#station-new .field-error[role=alert]")
        assert page.input_value("#id_code") == "deploying"
        page.screenshot(path=str(screens / "onboarding-during-deploy.png"), full_page=True)
        page.close()
    finally:
        deploy.close()
    assert not on_own_connection(lambda: Station.objects.filter(code="deploying").exists())

"""The evaluation page of a station host (/station/evaluation/): the head fills the self-assessment with evidence and
submits it; the staff read it; nobody else gets in. A refused file is refused on its item with everything typed kept."""

import datetime
import re

import pytest
from django.utils import timezone

from core.evaluation.models import EvaluationEvidence, RoundStatus
from core.evaluation.services import evidence_add
from tests.conftest import host_client
from tests.core.evaluation.builders import (
    CODES,
    PDF,
    PNG,
    conclude,
    give_evidence,
    open_round,
    submitted_round,
    upload,
)

pytestmark = pytest.mark.django_db

PAGE = "/station/evaluation/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def form_data(**answers) -> dict:
    """Every item answered met, but for `answers` (item code → "yes" / "no" / "")."""
    data = {f"{code}-met": "yes" for code in CODES} | {f"{code}-note": "" for code in CODES}
    for code, met in answers.items():
        data[f"{code}-met"] = met
    return data


def item_block(html: str, code: str) -> str:
    start = html.index(f'id="item-{code}"')
    return html[start : html.index('<div class="eval-item', start + 1) if code != CODES[-1] else None]


def test_without_a_round_the_page_says_so(city, alpha_host):
    html = host_client(alpha_host, city.alpha_head).get(PAGE).content.decode()
    assert 'id="no-round"' in html and 'id="self-assessment"' not in html


@pytest.mark.clause("4.4.2")
def test_the_head_saves_answers_with_evidence_then_submits(city, alpha_host, media):
    evaluation_round = open_round(city)
    head = host_client(alpha_host, city.alpha_head)
    html = head.get(PAGE).content.decode()
    assert 'id="self-assessment"' in html and 'enctype="multipart/form-data"' in html
    assert all(f'id="item-{code}"' in html for code in CODES)
    assert 'data-section="4.5"' in html and "制度建设" in html and "突发性事件应急处理预案" in html

    give_evidence(evaluation_round, city.alpha_head, skip=("4.2.2",))  # the rest of the evidence given before
    data = form_data(**{"4.5h": ""}) | {"4.2.2-note": "见公示栏照片", "4.2.2-file": upload("公示栏.png", PNG)}
    response = head.post(PAGE, data | {"action": "save"})
    assert response.status_code == 302 and response["Location"] == PAGE
    item = evaluation_round.items.get(code="4.2.2")
    assert (item.self_met, item.self_note) == (True, "见公示栏照片")  # answered met with its photo in one save
    [evidence] = EvaluationEvidence.objects.filter(item=item)
    assert evidence.file.name.startswith("evaluation/alpha/round-1/") and evidence.kind == "png"
    assert (media / evidence.file.name).read_bytes() == PNG
    html = head.get(PAGE).content.decode()
    assert f'data-evidence="{evidence.pk}"' in item_block(html, "4.2.2")

    # Submitting with an item unanswered names it; what was answered is kept.
    response = head.post(PAGE, form_data(**{"4.5h": ""}) | {"action": "submit"})
    assert response.status_code == 400
    assert re.search(r'data-field="4\.5h\.met">', response.content.decode())
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.OPEN

    response = head.post(PAGE, form_data() | {"action": "submit"})
    assert response.status_code == 302
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.SUBMITTED
    html = head.get(PAGE).content.decode()
    assert 'id="self-assessment"' not in html and 'data-status="submitted"' in html

    # The evidence downloads for the station's members, typed by its content.
    download = host_client(alpha_host, city.alpha_staff).get(f"{PAGE}evidence/{evidence.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG


def test_a_refused_file_is_told_on_its_item_and_everything_typed_is_kept(city, alpha_host, media):
    evaluation_round = open_round(city)
    data = form_data(**{"4.1.2": "no"}) | {
        "4.1.2-note": "消防验收材料待补充",
        "4.1.2-file": upload("消防验收.pdf", b"a text file renamed from .png to .pdf", "application/pdf"),
        "action": "save",
    }
    response = host_client(alpha_host, city.alpha_head).post(PAGE, data)
    assert response.status_code == 400
    block = item_block(response.content.decode(), "4.1.2")
    assert 'data-field="4.1.2.file"' in block and "消防验收.pdf" in block
    assert "消防验收材料待补充</textarea>" in block
    assert re.search(r'value="no"[^>]*checked', block)
    assert not evaluation_round.items.filter(self_met__isnull=False).exists()
    assert not EvaluationEvidence.objects.exists()


def test_an_oversize_file_is_refused(city, alpha_host, settings):
    settings.EVALUATION_EVIDENCE_MAX_BYTES = 100
    open_round(city)
    data = form_data() | {"4.1.1-file": upload("大文件.pdf", PDF + b"0" * 200), "action": "save"}
    response = host_client(alpha_host, city.alpha_head).post(PAGE, data)
    assert response.status_code == 400 and 'data-field="4.1.1.file"' in response.content.decode()
    assert not EvaluationEvidence.objects.exists()


def test_the_staff_read_but_do_not_fill(city, alpha_host):
    evaluation_round = open_round(city)
    staff = host_client(alpha_host, city.alpha_staff)
    html = staff.get(PAGE).content.decode()
    assert 'id="head-only"' in html and 'id="self-assessment"' not in html and 'name="4.1.1-met"' not in html
    assert staff.post(PAGE, form_data() | {"action": "submit"}).status_code == 403
    assert not evaluation_round.items.filter(self_met__isnull=False).exists()


@pytest.mark.parametrize("who", ["beta_head", "beta_staff", "bureau_admin", "outsider"])
def test_nobody_else_reaches_the_page(city, alpha_host, public_host, who):
    evaluation_round = open_round(city)
    client = host_client(alpha_host, getattr(city, who))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, form_data() | {"action": "submit"}).status_code == 403
    anonymous = host_client(alpha_host).get(PAGE)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert host_client(public_host, city.bureau_admin).get(PAGE).status_code == 404  # not a page of the public host
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.OPEN


def test_another_stations_evidence_and_rounds_do_not_exist_here(city, alpha_host, beta_host, media):
    open_round(city)
    beta_round = open_round(city, city.beta)
    evidence = evidence_add(item=beta_round.items.first(), user=city.beta_head, file=upload("b.pdf", PDF))
    alpha_head = host_client(alpha_host, city.alpha_head)
    assert alpha_head.get(f"{PAGE}evidence/{evidence.pk}/").status_code == 404
    assert alpha_head.post(f"{PAGE}evidence/{evidence.pk}/remove/").status_code == 404
    assert alpha_head.get(f"{PAGE}rounds/9/").status_code == 404
    download = host_client(beta_host, city.beta_head).get(f"{PAGE}evidence/{evidence.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert EvaluationEvidence.objects.filter(pk=evidence.pk).exists()


def test_the_head_sees_what_was_not_met_and_the_history(city, alpha_host):
    due = timezone.localdate() + datetime.timedelta(days=20)
    conclude(city, submitted_round(city), "rectify", not_met=("4.2.3",), rectify_by=due)
    head = host_client(alpha_host, city.alpha_head)
    html = head.get(PAGE).content.decode()
    assert 'data-number="2"' in html and f'id="round-due-on">{due:%Y-%m-%d}<' in html
    block = item_block(html, "4.2.3")
    assert 'data-previous="not-met"' in block and "未见相关材料" in block
    assert 'data-previous="not-met"' not in item_block(html, "4.2.4")
    assert '<tr data-round="1" data-status="concluded" data-conclusion="rectify">' in html
    assert '<tr data-round="2" data-status="open" data-conclusion="">' in html
    first = head.get(f"{PAGE}rounds/1/").content.decode()
    assert 'data-conclusion="rectify"' in first and 'id="self-assessment"' not in first


@pytest.mark.clause("4.2.1")
def test_an_item_met_without_its_evidence_is_refused_on_the_item_in_chinese(city, alpha_host, media):
    evaluation_round = open_round(city)
    head = host_client(alpha_host, city.alpha_head)
    html = head.get(PAGE).content.decode()
    assert 'id="evidence-rule"' in html
    block = item_block(html, "4.2.1")
    assert 'data-evidence-required="yes"' in block and "须提供证明材料：现场照片" in block
    assert 'name="4.2.1-figures"' not in block  # no operations figures prove a service window
    assert 'name="4.4.1-figures"' in item_block(html, "4.4.1")
    assert "建议提供证明材料：现场照片" in item_block(html, "4.3.2")

    give_evidence(evaluation_round, city.alpha_head, skip=("4.2.1",))
    response = head.post(PAGE, form_data() | {"4.2.1-note": "受理窗口设在一楼大厅", "action": "submit"})
    assert response.status_code == 400
    block = item_block(response.content.decode(), "4.2.1")
    assert re.search(
        r'data-field="4\.2\.1\.met">此项要求提供证明材料（现场照片）：请先上传文件，再标为“符合”。<', block
    )
    assert "受理窗口设在一楼大厅</textarea>" in block and re.search(r'value="yes"[^>]*checked', block)
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.OPEN
    assert not evaluation_round.items.filter(self_met__isnull=False).exists()  # the page is kept whole or not at all

    response = head.post(PAGE, form_data() | {"4.2.1-file": upload("窗口.png", PNG), "action": "submit"})
    assert response.status_code == 302
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.SUBMITTED


@pytest.mark.clause("4.4.1")
def test_the_head_attaches_the_staff_figures_on_the_page_and_takes_them_off(city, alpha_host):
    evaluation_round = open_round(city)
    head = host_client(alpha_host, city.alpha_head)
    data = form_data(**{"4.4.1": "yes"}) | {"4.4.1-figures": "on", "action": "save"}
    data = {key: value for key, value in data.items() if key.startswith("4.4.1-") or key == "action"}
    response = head.post(PAGE, data)
    assert response.status_code == 302
    item = evaluation_round.items.get(code="4.4.1")
    assert item.self_met is True and item.figures["source"] == "staff"

    block = item_block(head.get(PAGE).content.decode(), "4.4.1")
    assert 'data-figures="staff"' in block and "人员台账数据，提取于" in block
    assert "已完成上岗前培训的人员：3 人中 2 人" in block and "尚未完成上岗前培训：新同事" in block
    assert 'form="figures-remove-4.4.1"' in block and "重新提取运营数据" in block

    remove = f"{PAGE}items/4.4.1/figures/remove/"
    assert host_client(alpha_host, city.alpha_staff).post(remove).status_code == 403
    response = head.post(remove, follow=True)  # its only evidence, and it is answered met: refused, and told
    assert "第 4.4.1 项已标为“符合”且要求提供证明材料" in response.content.decode()
    item.refresh_from_db()
    assert item.figures is not None
    head.post(PAGE, {"4.4.1-met": "no", "4.4.1-note": "", "action": "save"})
    response = head.post(remove, follow=True)
    assert "已删除第 4.4.1 项附上的运营数据。" in response.content.decode()
    item.refresh_from_db()
    assert item.figures is None
    assert head.post(remove).status_code == 404  # nothing attached any more

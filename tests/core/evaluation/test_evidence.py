"""Evidence of the self-assessment (issue 15): an item whose checklist entry asks for evidence is never answered met
without any; the head gives files or attaches the figures of the station's operations registers (the staff register,
the equipment register, the written systems), kept as a snapshot of the moment they were attached."""

import datetime
import importlib
import pathlib

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from core.evaluation import services
from core.evaluation.checklist import CHECKLIST
from core.evaluation.demo import round_approve_all
from core.evaluation.figures import figures_lines, figures_other_systems
from core.evaluation.models import Conclusion, EvaluationEvidence, EvaluationItem, EvaluationRound, RoundStatus
from core.operations import services as operations
from core.operations.models import EquipmentKind, SystemCode
from tests.core.evaluation.builders import (
    CODES,
    PDF,
    conclude,
    evidence_needed,
    give_evidence,
    open_round,
    self_assess,
    submitted_round,
    upload,
)
from tests.core.operations.builders import training_add

pytestmark = pytest.mark.django_db

PHOTOS = {"4.2.1", "4.2.2", "4.2.3", "4.2.5", "4.2.6"}
SYSTEMS = {f"4.5{letter}" for letter in "abcdefgh"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> pathlib.Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def refusal(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        call(**kwargs)
    return refused.value.message_dict


def equipment_add(city, name: str, kind=EquipmentKind.OFFICE, *, due: datetime.date | None = None) -> None:
    with schema_context(city.alpha.schema_name):
        operations.equipment_create(
            user=city.alpha_head, kind=kind, name=name, maintenance_interval_days=90, next_maintenance_due=due
        )


def system_publish(city, code: str, *, effective_on: datetime.date | None = None) -> None:
    with schema_context(city.alpha.schema_name):
        operations.system_version_publish(
            user=city.alpha_head,
            code=code,
            effective_on=effective_on or datetime.date(2026, 1, 1),
            text=f"{SystemCode(code).label}制度全文",
        )


# --- What the checklist asks for ----------------------------------------------------------------------------------


@pytest.mark.clause("4.1.1")
@pytest.mark.clause("4.2.1")
@pytest.mark.clause("4.3.5")
@pytest.mark.clause("4.4.1")
@pytest.mark.clause("4.5")
def test_every_required_item_asks_for_evidence_and_a_round_copies_what_each_asks(city):
    asked = {entry.code: (entry.evidence, entry.evidence_required, entry.figures) for entry in CHECKLIST}
    assert {code for code, (_kind, required, _f) in asked.items() if not required} == {"4.3.2", "4.3.3"}  # 宜 items
    assert all(kind for kind, _required, _figures in asked.values())  # every item says what would prove it
    assert {code for code, (kind, _r, _f) in asked.items() if kind == "photos"} == PHOTOS | {"4.3.2", "4.3.3"}
    assert [asked[code][0] for code in ("4.1.1", "4.1.2", "4.1.3", "4.2.4")] == ["site", "safety", "floor_plan", "air"]
    assert {code for code, (_k, _r, figures) in asked.items() if figures == "equipment"} == {
        f"4.3.{n}" for n in range(1, 6)
    }
    assert {code for code, (_k, _r, figures) in asked.items() if figures == "staff"} == {"4.4.1", "4.4.2"}
    assert {code for code, (kind, _r, figures) in asked.items() if figures == "system"} == SYSTEMS
    assert all(asked[code][0] == "system" for code in SYSTEMS)

    items = {item.code: item for item in open_round(city).items.all()}
    assert {code: (i.evidence_kind, i.evidence_required, i.figures_source) for code, i in items.items()} == asked
    assert items["4.2.1"].get_evidence_kind_display() == "现场照片"


# --- Met needs evidence -------------------------------------------------------------------------------------------


@pytest.mark.clause("3")
@pytest.mark.clause("4.2.1")
def test_an_item_asking_for_evidence_is_not_answered_met_without_any(city, media):
    evaluation_round = open_round(city)
    window = evaluation_round.items.get(code="4.2.1")
    errors = refusal(services.item_self_assess, item=window, user=city.alpha_head, met=True, note="已设窗口")
    assert list(errors) == ["met"]
    assert errors["met"] == ["此项要求提供证明材料（现场照片）：请先上传文件，再标为“符合”。"]
    staff = evaluation_round.items.get(code="4.4.1")
    [message] = refusal(services.item_self_assess, item=staff, user=city.alpha_head, met=True)["met"]
    assert "人员台账及上岗前培训记录" in message and "附上运营数据" in message  # the figures are offered too
    window.refresh_from_db()
    assert window.self_met is None and window.self_note == ""

    # Not met needs no evidence, nor does a recommended (宜) item; with a file, met is accepted.
    assert services.item_self_assess(item=window, user=city.alpha_head, met=False).self_met is False
    seats = evaluation_round.items.get(code="4.3.2")
    assert services.item_self_assess(item=seats, user=city.alpha_head, met=True).self_met is True
    services.evidence_add(item=window, user=city.alpha_head, file=upload("受理窗口.pdf", PDF))
    assert services.item_self_assess(item=window, user=city.alpha_head, met=True).self_met is True


def test_a_page_answering_met_without_evidence_keeps_nothing(city, media):
    evaluation_round = open_round(city)
    answers = [
        services.SelfAssessment(code="4.1.1", met=True, files=[upload("租赁合同.pdf", PDF)]),  # its evidence given
        services.SelfAssessment(code="4.2.1", met=True, note="有窗口"),  # none
        services.SelfAssessment(code="4.2.2", met=False),
    ]
    errors = refusal(
        services.round_self_assessment_save, evaluation_round=evaluation_round, user=city.alpha_head, answers=answers
    )
    assert list(errors) == ["4.2.1.met"]
    assert not evaluation_round.items.filter(self_met__isnull=False).exists()
    assert not EvaluationEvidence.objects.exists() and not media.exists()


def test_submitting_names_every_item_met_without_evidence(city):
    """A round opened before items asked for evidence and answered then: the migration makes its items ask, and the
    submission is refused until each item met has some."""
    evaluation_round = open_round(city)
    asked = dict(evaluation_round.items.values_list("code", "evidence_required"))
    evaluation_round.items.update(evidence_required=False)
    self_assess(evaluation_round, city.alpha_head)  # every item met, no evidence
    for code, required in asked.items():
        evaluation_round.items.filter(code=code).update(evidence_required=required)
    errors = refusal(services.round_submit, evaluation_round=evaluation_round, user=city.alpha_head)
    assert set(errors) == {f"{code}.met" for code, required in asked.items() if required}
    assert "现场照片" in errors["4.2.6.met"][0]
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.OPEN

    give_evidence(evaluation_round, city.alpha_head)
    assert services.round_submit(evaluation_round=evaluation_round, user=city.alpha_head).status == "submitted"


def test_the_last_evidence_of_an_item_met_stays_until_it_is_answered_otherwise(city, media):
    evaluation_round = open_round(city)
    window = evaluation_round.items.get(code="4.2.1")
    first = services.evidence_add(item=window, user=city.alpha_head, file=upload("窗口1.pdf", PDF))
    second = services.evidence_add(item=window, user=city.alpha_head, file=upload("窗口2.pdf", PDF))
    services.item_self_assess(item=window, user=city.alpha_head, met=True)
    services.evidence_remove(evidence=first, user=city.alpha_head)  # another file remains
    assert list(refusal(services.evidence_remove, evidence=second, user=city.alpha_head)) == ["file"]
    assert EvaluationEvidence.objects.filter(pk=second.pk).exists()

    staff = services.figures_attach(item=evaluation_round.items.get(code="4.4.1"), user=city.alpha_head)
    services.item_self_assess(item=staff, user=city.alpha_head, met=True)
    assert list(refusal(services.figures_remove, item=staff, user=city.alpha_head)) == ["figures"]
    services.item_self_assess(item=staff, user=city.alpha_head, met=False)
    staff = services.figures_remove(item=staff, user=city.alpha_head)
    assert (staff.figures, staff.figures_taken_at, staff.figures_taken_by) == (None, None, None)


# --- The operations figures ---------------------------------------------------------------------------------------


@pytest.mark.clause("4.4.1")
@pytest.mark.clause("4.4.2")
def test_the_staff_figures_are_a_snapshot_of_the_register_when_attached(city):
    evaluation_round = open_round(city)
    item = services.figures_attach(item=evaluation_round.items.get(code="4.4.1"), user=city.alpha_head)
    assert item.figures == {
        "source": "staff",
        "members": 3,
        "cleared": 2,
        "not_cleared": ["新同事"],  # the invitee never took duty
        "qualified": 0,
        "heads": [city.alpha_head.display_name],
    }
    assert item.figures_taken_by == city.alpha_head and item.figures_taken_at is not None
    assert figures_lines(item) == [
        "已完成上岗前培训的人员：3 人中 2 人",
        "尚未完成上岗前培训：新同事",
        "持有有效资格证书的人员：3 人中 0 人",
        f"站长：{city.alpha_head.display_name}",
    ]
    assert services.item_self_assess(item=item, user=city.alpha_head, met=True).self_met is True

    # The register changes; the snapshot stays what it was until the head takes it again.
    invitee = evaluation_round.station.memberships.get(pk=city.invitee_membership_id).user
    with schema_context(city.alpha.schema_name):
        training_add(city, [invitee])
    item.refresh_from_db()
    assert item.figures["cleared"] == 2
    taken = item.figures_taken_at
    item = services.figures_attach(item=item, user=city.alpha_head)
    assert (item.figures["cleared"], item.figures["not_cleared"]) == (3, [])
    assert item.figures_taken_at > taken


@pytest.mark.clause("4.3.5")
def test_the_equipment_figures_say_what_is_maintained_on_schedule(city):
    evaluation_round = open_round(city)
    maintenance = evaluation_round.items.get(code="4.3.5")
    errors = refusal(services.figures_attach, item=maintenance, user=city.alpha_head)
    assert errors == {"figures": ["设施设备台账中尚无在用设备，暂无可附上的数据。"]}

    today = timezone.localdate()
    equipment_add(city, "联网电脑")
    equipment_add(city, "灭火器", EquipmentKind.FIRE, due=today - datetime.timedelta(days=3))
    item = services.figures_attach(item=maintenance, user=city.alpha_head)
    overdue = (today - datetime.timedelta(days=3)).isoformat()
    assert item.figures == {
        "source": "equipment",
        "in_service": 2,
        "maintained": 1,
        "by_kind": {"fire": 1, "office": 1},
        "overdue": [{"name": "灭火器", "due": overdue}],
    }
    assert figures_lines(item) == [
        "按期检查维护的设施设备：2 项中 1 项",
        "在用设施设备：消防器材、应急照明灯和标志 1 项；办公设备 1 项",
        f"维护已逾期：灭火器（应于 {overdue} 维护）",
    ]


@pytest.mark.clause("4.5")
def test_a_written_system_is_attached_once_it_has_a_version_in_effect(city):
    evaluation_round = open_round(city)
    records = evaluation_round.items.get(code="4.5c")
    errors = refusal(services.figures_attach, item=records, user=city.alpha_head)
    assert errors == {"figures": ["该制度尚无现行版本，请先在“站务管理”中发布，再附上。"]}
    system_publish(city, "a")
    system_publish(city, "c", effective_on=timezone.localdate() + datetime.timedelta(days=10))  # not in effect yet
    assert list(refusal(services.figures_attach, item=records, user=city.alpha_head)) == ["figures"]
    system_publish(city, "c")

    item = services.figures_attach(item=records, user=city.alpha_head)
    assert (item.figures["total"], item.figures["in_effect"]) == (8, 2)
    own = next(system for system in item.figures["systems"] if system["code"] == "c")
    assert (own["versions"], own["current"]["number"], own["current"]["effective_on"]) == (2, 2, "2026-01-01")
    head = city.alpha_head.display_name
    assert figures_lines(item) == [
        "有现行版本的制度：8 项中 2 项",
        f"c）记录及档案管理：第 2 版，自 2026-01-01 起施行，{head}批准",
    ]
    others = figures_other_systems(item)
    assert len(others) == 7 and others[0] == f"a）岗位职责：第 1 版，自 2026-01-01 起施行，{head}批准"
    assert "b）服务过程管理：暂无现行版本" in others


def test_figures_are_attached_only_where_they_apply_and_only_by_the_head(city):
    evaluation_round = open_round(city)
    window = evaluation_round.items.get(code="4.2.1")
    assert refusal(services.figures_attach, item=window, user=city.alpha_head) == {
        "figures": ["此项要求没有可附上的运营数据，请上传文件作为证明材料。"]
    }
    staff = evaluation_round.items.get(code="4.4.1")
    for user in (city.alpha_staff, city.beta_head, city.bureau_admin):
        with pytest.raises(PermissionDenied):
            services.figures_attach(item=staff, user=user)
    staff.refresh_from_db()
    assert staff.figures is None


def test_figures_attached_on_the_page_with_the_answer_and_carried_into_a_follow_up(city):
    evaluation_round = open_round(city)
    give_evidence(evaluation_round, city.alpha_head, skip=("4.4.1",))
    answers = [services.SelfAssessment(code=code, met=True, figures=code == "4.4.1") for code in CODES]
    services.round_self_assessment_save(evaluation_round=evaluation_round, user=city.alpha_head, answers=answers)
    staff = evaluation_round.items.get(code="4.4.1")
    assert staff.self_met is True and staff.figures["cleared"] == 2 and not staff.evidence.exists()

    services.round_submit(evaluation_round=evaluation_round, user=city.alpha_head)
    due = timezone.localdate() + datetime.timedelta(days=30)
    conclude(city, evaluation_round, Conclusion.RECTIFY, not_met=("4.2.6",), rectify_by=due)
    carried = EvaluationRound.objects.get(station=city.alpha, number=2).items.get(code="4.4.1")
    assert (carried.figures, carried.figures_taken_at) == (staff.figures, staff.figures_taken_at)
    assert (carried.evidence_required, carried.figures_source) == (True, "staff")


# --- The demo round -------------------------------------------------------------------------------------------------


@pytest.mark.clause("3")
def test_the_demo_round_gives_every_item_its_evidence_with_the_operations_figures(city, media):
    equipment_add(city, "联网电脑、打印机、复印机")
    system_publish(city, "a")
    approved = round_approve_all(station=city.alpha, admin=city.bureau_admin, note="演示数据")
    assert (approved.conclusion, approved.score) == (Conclusion.APPROVED, 100)
    items = {item.code: item for item in approved.items.all()}
    assert all(item.self_met for item in items.values())
    assert not evidence_needed(approved)  # every item that asks for evidence has some
    with_figures = {code for code, item in items.items() if item.figures is not None}
    assert with_figures == {"4.3.1", "4.3.4", "4.3.5", "4.4.1", "4.4.2", "4.5a"}
    assert items["4.4.1"].figures["source"] == "staff" and items["4.3.5"].figures["in_service"] == 1
    [photo] = items["4.2.1"].evidence.all()  # a stand-in photo where photos are asked for
    assert photo.kind == "png" and (media / photo.file.name).read_bytes().startswith(b"\x89PNG")
    [document] = items["4.5b"].evidence.all()  # not published: a stand-in document instead
    assert document.kind == "pdf" and (media / document.file.name).read_bytes().startswith(b"%PDF-")
    assert not items["4.3.2"].evidence.exists()  # a recommended item asks for nothing


def test_the_migration_makes_only_the_rounds_still_open_ask_for_evidence(city):
    migration = importlib.import_module("core.evaluation.migrations.0002_item_evidence_and_figures")
    assert migration.EVIDENCE == {
        entry.code: (entry.evidence, entry.evidence_required, entry.figures) for entry in CHECKLIST
    }
    submitted = submitted_round(city, city.beta, city.beta_head)
    opened = open_round(city)
    before = EvaluationItem.objects.filter(evaluation_round__in=[submitted, opened])
    before.update(evidence_kind="", evidence_required=False, figures_source="")  # as they were before it
    migration.open_rounds_ask_for_evidence(apps, None)
    assert not submitted.items.exclude(evidence_kind="").exists()  # under review: kept as it was submitted
    items = {item.code: item for item in opened.items.all()}
    assert {code: (i.evidence_kind, i.evidence_required, i.figures_source) for code, i in items.items()} == (
        migration.EVIDENCE
    )

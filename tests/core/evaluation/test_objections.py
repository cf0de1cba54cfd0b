"""Objections to a publication (公示异议, clause 3, issue 20): anyone objects while a publication's notice runs, with a
name and a phone or an e-mail address, behind a rate limit; a bureau administrator upholds or dismisses each with a
published reason. Upheld: the publication is withdrawn and the station goes back to evaluation (a new round must
approve it before it is published again). The notice over with no objection upheld or waiting: final."""

import datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import timezone, translation

from core.evaluation.models import (
    EvaluationRound,
    ObjectionState,
    PublicationObjection,
    PublicationOutcome,
    PublicationState,
    RoundStatus,
)
from core.evaluation.services import objection_create, objection_handle, publication_finalise, station_publish
from core.notifications.kinds import PUBLICATION_OBJECTION_HANDLED, PUBLICATION_OBJECTION_RECEIVED
from core.notifications.models import Notification
from tenants.models import StationPublication, StationStatus, StationStatusChange
from tests.core.evaluation.test_publication import prepare

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def publication(city) -> StationPublication:
    """alpha published by the bureau after an approved round; its notice runs for 7 days."""
    return station_publish(station=prepare(city.alpha, approved_by=city.bureau_admin), user=city.bureau_admin)


def objection(publication, **fields) -> PublicationObjection:
    values = {"name": "张三", "phone": "13912345678", "text": "该站实际未配备所公示的检测设备。"} | fields
    return objection_create(publication=publication, client_address="203.0.113.7", **values)


def notice_over(publication) -> None:
    StationPublication.objects.filter(pk=publication.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=8),
        notice_until=timezone.now() - datetime.timedelta(hours=1),
    )
    publication.refresh_from_db()


def outcome(publication) -> PublicationOutcome:
    return PublicationOutcome.objects.get(publication=publication)


@pytest.mark.clause("3")
def test_an_objection_is_taken_during_the_notice_and_the_bureau_is_notified(city, publication):
    assert outcome(publication).state == PublicationState.NOTICE  # station_publish starts the notice
    raised = objection(publication, phone="", email="zhang@example.test")
    raised.refresh_from_db()
    assert (raised.state, raised.name, raised.email, raised.publication) == (
        ObjectionState.RECEIVED,
        "张三",
        "zhang@example.test",
        publication,
    )
    told = Notification.objects.filter(kind=PUBLICATION_OBJECTION_RECEIVED, key__endswith=f":{raised.pk}")
    assert set(told.values_list("recipient", flat=True)) == {city.bureau_admin.pk}
    assert told.get().url.endswith(f"/console/objections/{raised.pk}/")


@pytest.mark.clause("3")
def test_an_objection_after_the_notice_is_refused_in_chinese_on_the_publication(city, publication):
    notice_over(publication)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        objection(publication)
    assert list(refused.value.message_dict) == ["publication"]
    assert "公示期已于" in refused.value.message_dict["publication"][0]
    assert not PublicationObjection.objects.exists()


@pytest.mark.clause("3")
def test_an_objection_needs_a_name_a_reachable_contact_and_a_text(city, publication):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        objection(publication, name=" ", phone="", email="", text="")
    assert set(refused.value.message_dict) == {"name", "phone", "text"}
    assert "电话" in refused.value.message_dict["phone"][0]
    with pytest.raises(ValidationError) as refused:
        objection(publication, phone="12345", email="not-an-address")
    assert set(refused.value.message_dict) == {"phone", "email"}
    assert not PublicationObjection.objects.exists()


@pytest.mark.clause("3")
def test_objections_from_one_address_are_rate_limited(city, publication, settings):
    settings.PUBLICATION_OBJECTIONS_PER_HOUR = 2
    objection(publication)
    objection(publication)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        objection(publication)
    assert refused.value.error_dict[NON_FIELD_ERRORS][0].code == "rate_limited"
    assert "过去一小时" in refused.value.message_dict[NON_FIELD_ERRORS][0]
    assert PublicationObjection.objects.count() == 2
    objection_create(
        publication=publication, client_address="198.51.100.1", name="李四", phone="024-72345678", text="异议"
    )


@pytest.mark.clause("3")
@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "outsider"])
def test_only_a_bureau_administrator_handles_an_objection(city, publication, who):
    raised = objection(publication)
    with pytest.raises(PermissionDenied):
        objection_handle(objection=raised, user=getattr(city, who), state=ObjectionState.DISMISSED, reason="不成立")
    raised.refresh_from_db()
    assert raised.state == ObjectionState.RECEIVED


@pytest.mark.clause("3")
def test_an_outcome_needs_a_reason_and_is_given_once(city, publication):
    raised = objection(publication)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        objection_handle(objection=raised, user=city.bureau_admin, state="maybe", reason=" ")
    assert set(refused.value.message_dict) == {"state", "reason"}
    objection_handle(
        objection=raised, user=city.bureau_admin, state=ObjectionState.DISMISSED, reason="设备已核实在位。"
    )
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        objection_handle(objection=raised, user=city.bureau_admin, state=ObjectionState.UPHELD, reason="改判")
    assert "已处理" in refused.value.message_dict["state"][0]


@pytest.mark.clause("3")
def test_an_upheld_objection_withdraws_the_publication_and_takes_the_station_back_to_evaluation(city, publication):
    raised = objection(publication)
    objection_handle(
        objection=raised, user=city.bureau_admin, state=ObjectionState.UPHELD, reason="经核实，该站检测设备未到位。"
    )

    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.EVALUATING
    change = StationStatusChange.objects.filter(station=city.alpha).first()
    assert (change.from_status, change.to_status, change.changed_by) == ("published", "evaluating", city.bureau_admin)
    assert "经核实，该站检测设备未到位。" in change.reason
    withdrawn = outcome(publication)
    assert (withdrawn.state, withdrawn.withdrawn_by, withdrawn.final_at) == (PublicationState.WITHDRAWN, raised, None)
    # Its re-evaluation opens at once (the scheduled one brought forward), for the head to answer.
    assert EvaluationRound.objects.get(station=city.alpha, status=RoundStatus.OPEN).kind == "reevaluation"
    told = Notification.objects.get(kind=PUBLICATION_OBJECTION_HANDLED, recipient=city.alpha_head)
    assert "/station/evaluation/" in told.url
    # Published again only once a round concluded after the withdrawal approves it.
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        station_publish(station=city.alpha, user=city.bureau_admin)
    assert "异议成立" in refused.value.message_dict["evaluation"][0]
    # Nothing becomes final of a withdrawn publication.
    notice_over(publication)
    assert publication_finalise() == 0 and outcome(publication).state == PublicationState.WITHDRAWN


@pytest.mark.clause("3")
def test_a_dismissed_objection_lets_the_publication_become_final_when_the_notice_ends(city, publication):
    raised = objection(publication)
    objection_handle(
        objection=raised, user=city.bureau_admin, state=ObjectionState.DISMISSED, reason="设备已核实在位。"
    )
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.PUBLISHED
    assert publication_finalise() == 0  # the notice still runs
    assert outcome(publication).state == PublicationState.NOTICE
    told = Notification.objects.get(kind=PUBLICATION_OBJECTION_HANDLED, recipient=city.alpha_head)
    assert told.url.endswith("/stations/alpha/")

    notice_over(publication)
    # (dismissed during the notice, as the notice's end was moved back)
    PublicationObjection.objects.filter(pk=raised.pk).update(handled_at=timezone.now() - datetime.timedelta(hours=2))
    assert publication_finalise() == 1
    final = outcome(publication)
    assert (final.state, final.final_at) == (PublicationState.FINAL, publication.notice_until)
    assert publication_finalise() == 0  # once


@pytest.mark.clause("3")
def test_a_waiting_objection_holds_the_publication_open_until_it_is_handled(city, publication):
    raised = objection(publication)
    notice_over(publication)
    assert publication_finalise() == 0
    assert outcome(publication).state == PublicationState.NOTICE
    # Dismissing the last waiting objection after the notice makes it final at once, dated then.
    handled = objection_handle(
        objection=raised, user=city.bureau_admin, state=ObjectionState.DISMISSED, reason="不成立"
    )
    final = outcome(publication)
    assert (final.state, final.final_at) == (PublicationState.FINAL, handled.handled_at)


def test_an_objection_to_an_earlier_publication_is_refused(city, publication):
    later = station_publish(station=city.alpha, user=city.bureau_admin)  # republished: the earlier one is history
    with pytest.raises(ValidationError) as refused:
        objection(publication)
    assert list(refused.value.message_dict) == ["publication"]
    assert objection(later).publication == later

"""A complaint's reference number and the complainant's tracking link (clause 6.5, after GB/T 19012): every complaint
gets a gap-free reference number in the transaction that opens it; a complaint from the public form is opened at
once; the complainant who left a mobile number or an e-mail address gets the reference and the tracking link, once."""

import importlib
import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from core.complaints import notices, services, tracking
from core.complaints.models import Complaint
from core.deliveries.models import Channel, Delivery
from core.supervision import services as supervision_services
from tests.conftest import host_client

MOBILE = "139 1234 5678"


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def _serial(reference: str) -> int:
    match = re.fullmatch(r"ALPHA-TS-(\d{4})-(\d{6})", reference)
    assert match, reference
    assert int(match[1]) == timezone.localdate().year
    return int(match[2])


@pytest.mark.clause("6.5")
def test_each_complaint_gets_its_reference_number_when_it_is_opened_gap_free(city, alpha):
    first = services.complaint_create(user=city.alpha_staff, channel="phone", subject="窗口人员态度生硬")
    assert Complaint.objects.get(pk=first.pk).reference == first.reference
    with pytest.raises(ValidationError):  # refused: it takes no number
        services.complaint_create(user=city.alpha_staff, channel="phone", subject="   ")
    opinion = supervision_services.opinion_log(
        user=city.alpha_staff, channel="phone", kind="complaint", text="收费不透明", name="钱七", phone=MOBILE
    )
    second = services.complaint_open_from_opinion(opinion=opinion, user=city.alpha_staff)
    third = services.complaint_create(user=city.alpha_head, channel="in_person", subject="材料退回三次")
    serials = [_serial(complaint.reference) for complaint in (first, second, third)]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]
    assert str(second) == f"投诉 {second.reference}"


@pytest.mark.clause("6.5")
def test_staff_opening_a_complaint_from_an_opinion_tell_the_complainant_its_reference_and_link_once(city, alpha):
    opinion = supervision_services.opinion_log(
        user=city.alpha_staff,
        channel="phone",
        kind="complaint",
        text="收费不透明",
        anonymous=False,
        name="钱七",
        phone=MOBILE,
        email="qian@example.test",
    )
    complaint = services.complaint_open_from_opinion(opinion=opinion, user=city.alpha_staff)
    sent = {d.channel: d for d in Delivery.objects.filter(kind="complaint_received")}
    link = tracking.complaint_tracking_url(complaint=complaint)
    assert set(sent) == {Channel.SMS, Channel.EMAIL}
    assert sent[Channel.SMS].address == "13912345678" and sent[Channel.EMAIL].address == "qian@example.test"
    for delivery in sent.values():
        assert complaint.reference in delivery.text and link in delivery.text
    assert complaint.reference in sent[Channel.EMAIL].subject
    assert "/track/complaint/" in link and link.startswith("http")
    assert notices.complainant_notify(complaint=complaint, station=city.alpha) == 2  # the same keys: nothing new
    assert Delivery.objects.filter(kind="complaint_received").count() == 2


def test_an_anonymous_complaint_sends_nothing(city, alpha):
    services.complaint_create(user=city.alpha_staff, channel="box", subject="匿名投诉")
    services.complaint_create(user=city.alpha_staff, channel="phone", subject="座机", complainant_phone="024-72345678")
    assert not Delivery.objects.filter(kind="complaint_received").exists()


@pytest.mark.clause("6.5")
def test_a_complaint_from_the_public_form_is_opened_at_once_and_other_opinions_are_not(city, alpha):
    opinion, complaint = services.complaint_submit_public(
        client_address="10.0.0.1",
        kind="complaint",
        text="等了一个小时无人接待",
        anonymous=False,
        name="孙八",
        phone=MOBILE,
    )
    assert complaint.opinion == opinion and complaint.created_by is None and complaint.state == "received"
    assert _serial(complaint.reference) >= 1
    assert complaint.events.get().to_state == "received"
    assert Delivery.objects.filter(kind="complaint_received", channel=Channel.SMS).count() == 1
    with pytest.raises(ValidationError) as refused:
        services.complaint_open_from_opinion(opinion=opinion, user=city.alpha_staff)
    assert list(refused.value.message_dict) == ["opinion"]
    suggestion, none = services.complaint_submit_public(client_address="10.0.0.2", kind="suggestion", text="加座椅")
    assert none is None and not Complaint.objects.filter(opinion=suggestion).exists()


@pytest.mark.clause("6.5")
def test_the_reference_shows_on_the_staff_pages_and_in_the_api(city, alpha_host):
    with schema_context(city.alpha.schema_name):
        complaint = services.complaint_create(user=city.alpha_staff, channel="phone", subject="窗口人员态度生硬")
    staff = host_client(alpha_host, city.alpha_staff)
    assert complaint.reference in staff.get("/complaints/").content.decode()
    page = staff.get(f"/complaints/{complaint.pk}/").content.decode()
    assert complaint.reference in page and 'id="complaint-tracking-link"' in page
    detail = staff.get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert detail["reference"] == complaint.reference and detail["escalated_automatically"] is False


@pytest.mark.clause("6.5")
def test_the_migration_numbers_existing_complaints_in_creation_order(city, alpha):
    """Migration 0004's backfill, run on complaints that have no number yet (the column made nullable again inside
    this test's transaction, which is rolled back): numbered by id, each in the year it was received, gap-free."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("core.complaints.migrations.0004_reference_and_escalation")
    old = [services.complaint_create(user=city.alpha_staff, channel="phone", subject=f"旧投诉{i}") for i in range(3)]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the complaints' deferred checks, before altering their table
        cursor.execute("ALTER TABLE complaints_complaint ALTER COLUMN reference DROP NOT NULL")
    Complaint.objects.filter(pk__in=[c.pk for c in old]).update(reference=None)
    Complaint.objects.filter(pk=old[0].pk).update(received_at=old[0].received_at.replace(year=2025))
    migration.number_existing(apps, SimpleNamespace(connection=connection))
    references = dict(Complaint.objects.filter(pk__in=[c.pk for c in old]).values_list("pk", "reference"))
    assert references[old[0].pk].startswith("ALPHA-TS-2025-")
    second, third = _serial(references[old[1].pk]), _serial(references[old[2].pk])
    assert third == second + 1 and second > _serial(old[2].reference)  # after the numbers given out before

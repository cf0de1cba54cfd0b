"""Public supervision's services (clause 6.1): every opinion recorded, classified, answered, planned, published and
closed; the public form's rate limit and stamp; photos checked by content."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from core.supervision import selectors, services
from core.supervision.models import Opinion, OpinionChannel, OpinionState, PublicSubmission
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.supervision.builders import fake_png, png, stamp_ago


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def submit(**extra) -> Opinion:
    values = {"client_address": "198.51.100.7", "kind": "suggestion", "text": "希望周六也开放"} | extra
    return services.opinion_submit_public(**values)


@pytest.mark.clause("6.1")
def test_an_opinion_goes_through_classification_answer_plan_publication_and_closing(city, alpha):
    case = take_demand(city, new_enterprise()).cases.get()
    opinion = submit(kind="complaint", anonymous=False, name="张三", phone="13800000000", text="  等了太久  ")
    assert (opinion.channel, opinion.state, opinion.text, opinion.name) == ("web", "received", "等了太久", "张三")

    opinion = services.opinion_classify(
        opinion=opinion, user=city.alpha_staff, kind="complaint", topic="timeliness", case=case
    )
    assert (opinion.topic, opinion.case_id) == ("timeliness", case.pk)
    with pytest.raises(ValidationError) as refused:
        services.opinion_publish(opinion=opinion, user=city.alpha_staff)
    assert "public_result" in refused.value.message_dict

    opinion = services.opinion_answer(opinion=opinion, user=city.alpha_staff, answer="已致电道歉，将增设叫号机")
    assert opinion.state == OpinionState.ANSWERED
    plan = services.improvement_plan_create(
        opinion=opinion,
        user=city.alpha_head,
        what="增设叫号机",
        owner=city.alpha_staff,
        due_on=timezone.localdate() + datetime.timedelta(days=14),
    )
    with pytest.raises(ValidationError) as refused:
        services.opinion_close(opinion=opinion, user=city.alpha_head)
    assert "state" in refused.value.message_dict

    services.improvement_plan_complete(plan=plan, user=city.alpha_staff, result="叫号机已于本周投入使用")
    opinion = services.opinion_publish(opinion=opinion, user=city.alpha_head)
    assert opinion.published and opinion.public_result == "叫号机已于本周投入使用"
    assert list(selectors.opinion_published_list()) == [opinion]

    opinion = services.opinion_close(opinion=opinion, user=city.alpha_head)
    assert opinion.state == OpinionState.CLOSED and opinion.closed_at is not None
    with pytest.raises(ValidationError):
        services.opinion_answer(opinion=opinion, user=city.alpha_staff, answer="再答一次")


@pytest.mark.clause("6.1")
def test_staff_log_opinions_of_the_other_channels_only(city, alpha):
    opinion = services.opinion_log(
        user=city.alpha_staff,
        channel=OpinionChannel.BOX,
        kind="praise",
        text="服务很好",
        received_at=timezone.now() - datetime.timedelta(days=1),
    )
    assert (opinion.channel, opinion.logged_by_id, opinion.anonymous) == ("box", city.alpha_staff.pk, True)
    with pytest.raises(ValidationError) as refused:
        services.opinion_log(user=city.alpha_staff, channel=OpinionChannel.WEB, kind="praise", text="好")
    assert "channel" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.opinion_log(
            user=city.alpha_staff,
            channel=OpinionChannel.PHONE,
            kind="praise",
            text="好",
            received_at=timezone.now() + datetime.timedelta(hours=1),
        )
    assert "received_at" in refused.value.message_dict


def test_contact_details_are_asked_unless_anonymous_and_dropped_when_anonymous(city, alpha):
    with pytest.raises(ValidationError) as refused:
        submit(anonymous=False, name="", phone="")
    assert set(refused.value.message_dict) == {"name", "phone"}
    opinion = submit(anonymous=True, name="李四", phone="139")
    assert (opinion.name, opinion.phone) == ("", "")


@pytest.mark.clause("6.1")
def test_an_improvement_plan_belongs_to_a_member_and_a_future_date(city, alpha):
    opinion = submit()
    with pytest.raises(ValidationError) as refused:
        services.improvement_plan_create(
            opinion=opinion,
            user=city.alpha_head,
            what="改进",
            owner=city.beta_staff,
            due_on=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {"owner", "due_on"}


def test_the_public_form_is_rate_limited_per_address(city, alpha, settings):
    settings.SUPERVISION_SUBMISSIONS_PER_HOUR = 2
    submit()
    submit()
    with pytest.raises(ValidationError) as refused:
        submit()
    assert refused.value.error_dict["__all__"][0].code == "rate_limited"
    submit(client_address="203.0.113.9")  # another address is not held back
    # Only hashes are kept, never the address.
    assert not PublicSubmission.objects.filter(client__contains="198.51").exists()
    assert PublicSubmission.objects.filter(client=services.client_key("198.51.100.7")).count() == 2
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=61)):
        submit()  # an hour later the address may send again


def test_the_form_stamp_refuses_forged_fast_and_stale_forms(settings):
    services.form_stamp_check(stamp=stamp_ago(10))
    for stamp, code in (
        ("forged", "stamp"),
        ("", "stamp"),
        (stamp_ago(0), "too_fast"),
        (stamp_ago(3 * 3600), "too_stale"),
    ):
        with pytest.raises(ValidationError) as refused:
            services.form_stamp_check(stamp=stamp)
        assert refused.value.code == code


def test_a_photo_is_checked_by_its_content(city, alpha):
    opinion = submit(photo=png())
    assert opinion.photo_kind == "png" and opinion.photo.name.startswith(f"supervision/{city.alpha.schema_name}/")
    with pytest.raises(ValidationError) as refused:
        submit(photo=fake_png(), text="")
    # The refused file and the missing text are both said, each on its field.
    assert set(refused.value.message_dict) == {"photo", "text"}

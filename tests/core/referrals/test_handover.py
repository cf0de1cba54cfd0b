"""Handing an enterprise's data to an institution (clause 7.3, issue 15): what of the demand form the station handed
over is recorded, like the parts a station referral ticks, and only with the enterprise's consent (channel and time,
the same rule as between stations); the referral's page shows both."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from core.desk.models import CaseEvent, EventKind
from core.directory.models import Institution
from core.referrals import services
from core.referrals.models import ConsentChannel, Referral, ReferralEvent, ReferralEventKind, ReferralState
from tests.conftest import host_client
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import copy_in, institution_referral, refer

S = ReferralState
# The translations the staff read when the consent is missing (the same as for a station referral).
NO_CHANNEL = "请记录企业同意共享其信息的方式。"
NO_TIME = "请记录企业同意的时间。"
IN_FUTURE = "企业同意时间不能晚于当前时间。"


@pytest.fixture
def institution() -> Institution:
    return Institution.objects.create(name="铁岭市计量测试所（移交测试）", kind="metrology")


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


def _referral(city, enterprise, institution) -> Referral:
    case = take_demand(city, enterprise, opinions="希望尽快").cases.get()
    return institution_referral(city, case, institution)


def _hand(city, referral, **extra) -> Referral:
    values = {
        "parts": ["contact", "instruments"],
        "consent_channel": ConsentChannel.PHONE,
        "consent_at": timezone.now() - datetime.timedelta(minutes=5),
    } | extra
    return services.referral_handover(referral=referral, user=city.alpha_staff, **values)


def local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.clause("7.3")
@pytest.mark.clause("5.2.2")
def test_handing_data_to_an_institution_records_what_went_and_the_consent(city, alpha, enterprise, institution):
    referral = _referral(city, enterprise, institution)
    assert (referral.shared, referral.shared_parts, referral.consent_channel) == ({}, [], "")
    options = dict(services.handover_options(referral=referral))
    assert {"contact", "boxes", "instruments", "opinions"} <= set(options)
    given = timezone.now() - datetime.timedelta(hours=1)
    referral = _hand(city, referral, consent_at=given)
    referral.refresh_from_db()
    assert referral.shared_parts == ["contact", "instruments"]
    assert set(referral.shared) == {"enterprise", "request", "contact", "instruments"}
    assert referral.shared["enterprise"] == {"id": enterprise.pk, "name": enterprise.name, "uscc": enterprise.uscc}
    assert referral.shared["contact"]["phone"] == "024-72345678"
    assert referral.shared["instruments"][0]["name"] == "压力表"
    assert "希望尽快" not in str(referral.shared)  # the opinions were not ticked
    assert (referral.consent_channel, referral.consent_at) == (ConsentChannel.PHONE, given)
    # The handover is on the referral's timeline and the case's, with what went and how the enterprise agreed.
    event = ReferralEvent.objects.get(referral=referral, kind=ReferralEventKind.SHARED)
    assert "联系方式" in event.text and "电话同意" in event.text and "企业身份信息和服务请求" in event.text
    note = CaseEvent.objects.filter(case=referral.case, kind=EventKind.REFERRAL).last()
    assert institution.name in note.text and referral.number in note.text
    # Only what is left may be handed over later, with the consent recorded again.
    assert "contact" not in dict(services.handover_options(referral=referral))
    with pytest.raises(ValidationError) as raised:
        _hand(city, referral, parts=["contact"])
    assert set(raised.value.message_dict) == {"parts"}
    later = timezone.now() - datetime.timedelta(minutes=1)
    referral = _hand(city, referral, parts=["opinions"], consent_channel=ConsentChannel.EMAIL, consent_at=later)
    referral.refresh_from_db()
    assert referral.shared_parts == ["contact", "instruments", "opinions"]
    assert referral.shared["opinions"] == "希望尽快" and referral.shared["contact"]["phone"] == "024-72345678"
    assert (referral.consent_channel, referral.consent_at) == (ConsentChannel.EMAIL, later)
    assert ReferralEvent.objects.filter(referral=referral, kind=ReferralEventKind.SHARED).count() == 2


@pytest.mark.clause("7.3")
@pytest.mark.parametrize(
    ("consent", "errors"),
    [
        ({"consent_channel": ""}, {"consent_channel": [NO_CHANNEL]}),
        ({"consent_channel": "carrier-pigeon"}, {"consent_channel": [NO_CHANNEL]}),
        ({"consent_at": None}, {"consent_at": [NO_TIME]}),
        ({"consent_at": timezone.now() + datetime.timedelta(days=1)}, {"consent_at": [IN_FUTURE]}),
        ({"consent_channel": "", "consent_at": None}, {"consent_channel": [NO_CHANNEL], "consent_at": [NO_TIME]}),
    ],
)
def test_no_data_is_handed_over_without_the_enterprises_consent(city, alpha, enterprise, institution, consent, errors):
    referral = _referral(city, enterprise, institution)
    with pytest.raises(ValidationError) as raised:
        _hand(city, referral, **consent)
    assert raised.value.message_dict == errors
    referral.refresh_from_db()
    assert (referral.shared, referral.shared_parts, referral.consent_channel) == ({}, [], "")
    assert not ReferralEvent.objects.filter(referral=referral, kind=ReferralEventKind.SHARED).exists()


def test_a_handover_needs_an_open_institution_referral_and_a_member(city, published, alpha, enterprise, institution):
    referral = _referral(city, enterprise, institution)
    with pytest.raises(ValidationError) as raised:
        _hand(city, referral, parts=["nothing-like-this"])
    assert set(raised.value.message_dict) == {"parts"}
    with pytest.raises(PermissionDenied):
        services.referral_handover(
            referral=referral,
            user=city.beta_staff,
            consent_channel=ConsentChannel.PHONE,
            consent_at=timezone.now(),
        )
    with pytest.raises(ValidationError) as raised:
        _hand(city, referral, expected_version=referral.version + 3)
    assert set(raised.value.message_dict) == {"version"}
    for to in (S.ACCEPTED, S.FAILED):
        referral = services.referral_transition(referral=referral, user=city.alpha_staff, to=to, reason="机构无法检定")
    with pytest.raises(ValidationError) as raised:
        _hand(city, referral)
    assert set(raised.value.message_dict) == {"state"}
    # A station referral's parts are chosen when it is referred, never handed over afterwards.
    to_beta = refer(city, take_demand(city, enterprise).cases.get())
    with pytest.raises(ValidationError) as raised:
        _hand(city, to_beta)
    assert set(raised.value.message_dict) == {"parts"}
    assert copy_in(city.alpha.schema_name, to_beta).shared_parts == ["contact", "instruments"]


@pytest.mark.clause("7.3")
@pytest.mark.clause("5.2.2")
def test_the_institution_referrals_page_shows_what_was_handed_over_and_the_consent(
    city, staff, enterprise, institution
):
    with schema_context(city.alpha.schema_name):
        referral = _referral(city, enterprise, institution)
    url = f"/desk/referrals/{referral.pk}/"
    page = staff.get(url)
    html = page.content.decode()
    shared = re.search(r'<section class="card" id="shared">(.*?)</section>', html, re.S).group(1)
    assert 'id="shared-none"' in shared and 'id="handover-form"' in shared
    assert [part for part, _label in page.context["forms"]["handover"].fields["parts"].choices] == [
        "contact",
        "boxes",
        "instruments",
        "opinions",
    ]
    # Without the consent nothing is handed over: each missing answer is refused on its field, in Chinese.
    bare = staff.post(
        url,
        {"action": "handover", "parts": ["contact"], "consent_channel": "", "version": referral.version},
    )
    assert bare.status_code == 400
    assert bare.context["forms"]["handover"].errors == {"consent_channel": [NO_CHANNEL], "consent_at": [NO_TIME]}
    html = bare.content.decode()
    assert NO_CHANNEL in html and NO_TIME in html
    assert re.search(r'name="parts" value="contact"[^>]*checked', html)  # what was ticked stays ticked
    future = local(timezone.now() + datetime.timedelta(days=1))
    ahead = staff.post(
        url,
        {"action": "handover", "consent_channel": "phone", "consent_at": future, "version": referral.version},
    )
    assert ahead.status_code == 400 and ahead.context["forms"]["handover"].errors == {"consent_at": [IN_FUTURE]}
    assert copy_in(city.alpha.schema_name, referral).consent_channel == ""

    given = timezone.now() - datetime.timedelta(minutes=30)
    done = staff.post(
        url,
        {
            "action": "handover",
            "parts": ["contact", "instruments"],
            "consent_channel": "phone",
            "consent_at": local(given),
            "version": referral.version,
        },
    )
    assert done.status_code == 302, done.content.decode()[:3000]
    html = staff.get(url).content.decode()
    shared = re.search(r'<section class="card" id="shared">(.*?)</section>', html, re.S).group(1)
    assert 'id="shared-none"' not in shared
    assert enterprise.name in shared and enterprise.uscc in shared
    for shown in ("024-72345678", "王经理", "压力表", "0-1.6MPa"):
        assert shown in shared, shown
    assert 'id="shared-boxes"' not in shared and 'id="shared-opinions"' not in shared
    consent = re.search(r'<p id="shared-consent">(.*?)</p>', shared, re.S).group(1)
    assert "电话同意" in consent and timezone.localtime(given).strftime("%Y-%m-%d %H:%M") in consent
    # What is left may still be handed over, and the timeline shows the handover.
    assert 'id="handover-form"' in shared and 'name="parts" value="contact"' not in shared
    assert 'data-kind="shared"' in html

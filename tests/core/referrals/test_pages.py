"""The referral pages of a station host: refer a case (station picker, what travels, consent), the lists both ways,
the referral page with exactly the shared data and the actions open to each side, and who may see none of it."""

import datetime
import re

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.desk.models import CaseState, ServiceCase
from core.directory.models import Institution
from core.referrals import services
from core.referrals.models import ConsentChannel, Direction, Referral, ReferralState
from tenants.hosts import station_host
from tenants.models import MemberRole
from tests.conftest import host_client
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import (
    NOT_CLEARED,
    copy_in,
    deliver_all,
    institution_referral,
    refer,
    referred_case,
    untrained_member,
)

S = ReferralState
# What the enterprise fixture (and so its demand) holds besides its name: the contact block.
CONTACT = ("024-72345678", "铁岭市银州区测试路8号", "李法人", "王经理", "wang@example.test")


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


@pytest.fixture
def beta_staff(city, beta_host):
    return host_client(beta_host, city.beta_staff)


def text(response) -> str:
    return response.content.decode()


def local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def new_case(city, enterprise) -> ServiceCase:
    with schema_context(city.alpha.schema_name):
        return take_demand(city, enterprise).cases.get()


def refer_post(city, case, **extra) -> dict:
    return {
        "station": city.beta.pk,
        "reason": "本站无压力表检定能力",
        "ask": "请为企业安排压力表检定",
        "parts": ["instruments"],
        "consent_channel": ConsentChannel.PHONE,
        "consent_at": local(timezone.now() - datetime.timedelta(minutes=10)),
        "version": case.version,
    } | extra


def case_version(city, case) -> int:
    with schema_context(city.alpha.schema_name):
        return ServiceCase.objects.get(pk=case.pk).version


def outgoing_of(city, case) -> Referral | None:
    with schema_context(city.alpha.schema_name):
        return Referral.objects.filter(case=case, direction=Direction.OUTGOING).first()


@pytest.mark.clause("5.2.2")
def test_the_pages_render_for_members_of_each_side(city, published, staff, beta_staff, enterprise):
    case = new_case(city, enterprise)
    case_page = staff.get(f"/desk/cases/{case.pk}/")
    assert case_page.status_code == 200 and f'href="/desk/referrals/cases/{case.pk}/refer/"' in text(case_page)
    with schema_context(city.alpha.schema_name):
        item = list(case.items.all())[0]
    city.beta.items.add(item)
    page = staff.get(f"/desk/referrals/cases/{case.pk}/refer/")
    assert page.status_code == 200
    html = text(page)
    # The picker: beta (never alpha itself), serving the case's first item (the default filter), load never published.
    row = re.search(r'<tr data-station="beta">(.*?)</tr>', html, re.S).group(1)
    assert city.beta.name in row and f'value="{city.beta.pk}"' in row and item.name in row
    assert row.count("<td>—</td>") == 3
    assert 'data-station="alpha"' not in html
    assert page.context["filter_form"]["item"].value() == item.pk
    assert [s["station"].serves for s in page.context["stations"]] == [1]
    assert [part for part, _label in page.context["form"].fields["parts"].choices] == [
        "contact",
        "boxes",
        "instruments",
    ]
    # A filter that no published station meets lists none.
    assert (
        page.context["stations"]
        and not staff.get(f"/desk/referrals/cases/{case.pk}/refer/?district=xifeng").context["stations"]
    )

    # The load a station published shows in the picker.
    with schema_context(city.beta.schema_name):
        services.station_load_publish()
    deliver_all(city)
    row = re.search(
        r'<tr data-station="beta">(.*?)</tr>', text(staff.get(f"/desk/referrals/cases/{case.pk}/refer/")), re.S
    )
    assert row.group(1).count("<td>—</td>") == 0

    with schema_context(city.alpha.schema_name):
        outgoing = refer(city, case)
    deliver_all(city)
    for tab in ("waiting", "in", "out", "overdue"):
        assert staff.get(f"/desk/referrals/?tab={tab}").status_code == 200
        assert beta_staff.get(f"/desk/referrals/?tab={tab}").status_code == 200
    assert outgoing.number in text(staff.get("/desk/referrals/?tab=out"))
    assert outgoing.number not in text(staff.get("/desk/referrals/?tab=in"))
    inbox = text(beta_staff.get("/desk/referrals/"))
    assert outgoing.number in inbox and 'data-state="requested"' in inbox
    assert staff.get(f"/desk/referrals/{outgoing.pk}/").status_code == 200
    incoming = copy_in(city.beta.schema_name, outgoing)
    assert beta_staff.get(f"/desk/referrals/{incoming.pk}/").status_code == 200
    # The case page lists its referral and no longer offers to refer it again.
    case_page = text(staff.get(f"/desk/cases/{case.pk}/"))
    assert outgoing.number in case_page and f"/desk/referrals/cases/{case.pk}/refer/" not in case_page


@pytest.mark.clause("5.2.2")
def test_the_refer_form_keeps_what_was_typed_and_refers(city, published, staff, enterprise):
    case = new_case(city, enterprise)
    url = f"/desk/referrals/cases/{case.pk}/refer/"
    future = local(timezone.now() + datetime.timedelta(days=1))
    bad = staff.post(url, refer_post(city, case, reason="", consent_channel="", consent_at=future))
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"reason", "consent_channel", "consent_at"}
    html = text(bad)
    assert html.count('class="field-error"') >= 3
    assert "请为企业安排压力表检定" in html and f'value="{future}"' in html
    assert re.search(rf'name="station" value="{city.beta.pk}"[^>]*checked', html)
    assert re.search(r'name="parts" value="instruments"[^>]*checked', html)
    assert outgoing_of(city, case) is None

    nowhere = staff.post(url, refer_post(city, case, station=""))
    assert nowhere.status_code == 400 and set(nowhere.context["form"].errors) == {"station"}
    assert 'id="station-error"' in text(nowhere)
    stale = staff.post(url, refer_post(city, case, version=case.version - 1))
    assert stale.status_code == 400 and set(stale.context["form"].errors) == {"version"}
    assert outgoing_of(city, case) is None

    consent = timezone.now() - datetime.timedelta(minutes=10)
    good = staff.post(url, refer_post(city, case, consent_at=local(consent)))
    assert good.status_code == 302, text(good)[:3000]
    referral = outgoing_of(city, case)
    assert good["Location"] == f"/desk/referrals/{referral.pk}/"
    assert referral.partner == city.beta and referral.state == S.REQUESTED
    assert referral.shared_parts == ["instruments"] and set(referral.shared) == {"enterprise", "request", "instruments"}
    assert referral.consent_channel == ConsentChannel.PHONE
    assert referral.consent_at == consent.replace(second=0, microsecond=0)
    assert referral.reason == "本站无压力表检定能力" and referral.created_by == city.alpha_staff
    page = staff.get(good["Location"])
    assert page.status_code == 200 and referral.number in text(page)
    # Referred already: the page says so, and a second referral is refused onto the form.
    again = staff.post(url, refer_post(city, case, version=case_version(city, case)))
    assert again.status_code == 400 and "__all__" in again.context["form"].errors


@pytest.mark.clause("7.3")
@pytest.mark.clause("5.2.2")
def test_the_receiver_sees_exactly_what_was_shared(city, published, staff, beta_staff, enterprise):
    only_table = new_case(city, enterprise)
    response = staff.post(f"/desk/referrals/cases/{only_table.pk}/refer/", refer_post(city, only_table))
    assert response.status_code == 302
    deliver_all(city)
    incoming = copy_in(city.beta.schema_name, outgoing_of(city, only_table))
    html = text(beta_staff.get(f"/desk/referrals/{incoming.pk}/"))
    assert enterprise.name in html and enterprise.uscc in html
    assert "压力表" in html and "0-1.6MPa" in html and 'id="shared-instruments"' in html
    for hidden in CONTACT:
        assert hidden not in html, hidden
    assert 'id="shared-contact"' not in html and 'id="shared-boxes"' not in html

    with_contact = new_case(city, enterprise)
    response = staff.post(
        f"/desk/referrals/cases/{with_contact.pk}/refer/", refer_post(city, with_contact, parts=["contact"])
    )
    assert response.status_code == 302
    deliver_all(city)
    incoming = copy_in(city.beta.schema_name, outgoing_of(city, with_contact))
    html = text(beta_staff.get(f"/desk/referrals/{incoming.pk}/"))
    for shown in CONTACT:
        assert shown in html, shown
    assert 'id="shared-contact"' in html and 'id="shared-instruments"' not in html and "0-1.6MPa" not in html


@pytest.mark.clause("5.2.2")
def test_the_receiver_accepts_through_the_page_and_the_sender_sees_it(city, published, staff, beta_staff, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    url = f"/desk/referrals/{incoming.pk}/"
    page = text(beta_staff.get(url))
    assert 'id="accept-form"' in page and 'id="decline-form"' in page and 'id="withdraw-form"' not in page
    stale = beta_staff.post(url, {"action": "accept", "version": incoming.version + 5})
    assert stale.status_code == 400 and set(stale.context["forms"]["accept"].errors) == {"version"}
    # The receiver cannot withdraw the sender's referral: refused by the service, shown on the page.
    withdrawn = beta_staff.post(url, {"action": "withdraw", "version": incoming.version})
    assert withdrawn.status_code == 400 and 'id="refused"' in text(withdrawn)
    accepted = beta_staff.post(url, {"action": "accept", "assignee": city.beta_head.pk, "version": incoming.version})
    assert accepted.status_code == 302, text(accepted)[:2000]
    incoming = copy_in(city.beta.schema_name, incoming)
    assert incoming.state == S.ACCEPTED and incoming.case is not None
    assert incoming.case.assignee_id == city.beta_head.pk
    page = text(beta_staff.get(url))
    assert f'href="/desk/cases/{incoming.case_id}/"' in page and 'id="accept-form"' not in page
    deliver_all(city)
    mine = text(staff.get(f"/desk/referrals/{outgoing.pk}/"))
    assert 'data-state="accepted"' in mine and 'id="withdraw-form"' not in mine
    assert 'data-to="accepted"' in mine and city.beta.name in mine
    with schema_context(city.alpha.schema_name):
        assert ServiceCase.objects.get(pk=case.pk).state == CaseState.IN_SERVICE


@pytest.mark.clause("4.4.1")
def test_the_accept_form_books_only_members_cleared_for_duty(city, published, beta_host, beta_staff, enterprise):
    _case, outgoing, incoming = referred_case(city, enterprise)
    untrained = untrained_member(city.beta)
    url = f"/desk/referrals/{incoming.pk}/"
    choices = beta_staff.get(url).context["forms"]["accept"].fields["assignee"].queryset
    assert set(choices) == {city.beta_head, city.beta_staff}
    named = beta_staff.post(url, {"action": "accept", "assignee": untrained.pk, "version": incoming.version})
    assert named.status_code == 400 and set(named.context["forms"]["accept"].errors) == {"assignee"}
    # Accepting with nobody named books the one accepting: refused on the field when they were never trained.
    themselves = host_client(beta_host, untrained).post(url, {"action": "accept", "version": incoming.version})
    assert themselves.status_code == 400
    assert themselves.context["forms"]["accept"].errors == {"assignee": [NOT_CLEARED]}
    assert NOT_CLEARED in text(themselves)
    incoming = copy_in(city.beta.schema_name, incoming)
    assert incoming.state == S.REQUESTED and incoming.case_id is None
    deliver_all(city)
    assert copy_in(city.alpha.schema_name, outgoing).state == S.REQUESTED


@pytest.mark.clause("5.2.2")
@pytest.mark.clause("5.2.3.2")
def test_a_decline_needs_a_reason_and_the_sender_re_routes_it(city, published, gamma, staff, beta_staff, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    url = f"/desk/referrals/{incoming.pk}/"
    silent = beta_staff.post(url, {"action": "decline", "reason": "  ", "version": incoming.version})
    assert silent.status_code == 400 and set(silent.context["forms"]["decline"].errors) == {"reason"}
    declined = beta_staff.post(url, {"action": "decline", "reason": "本站检定设备送修", "version": incoming.version})
    assert declined.status_code == 302
    assert copy_in(city.beta.schema_name, incoming).state == S.DECLINED
    deliver_all(city)
    mine = text(staff.get(f"/desk/referrals/{outgoing.pk}/"))
    assert 'data-state="declined"' in mine and "本站检定设备送修" in mine
    refer_url = f"/desk/referrals/cases/{case.pk}/refer/"
    assert f'href="{refer_url}"' in mine
    html = text(staff.get(refer_url))
    assert 'id="reroute"' in html and outgoing.number in html and "本站检定设备送修" in html
    assert 'data-station="gamma"' in html
    # Beta declined it: re-routing goes to a third station, never back to beta.
    back = staff.post(refer_url, refer_post(city, case, version=case_version(city, case)))
    assert back.status_code == 400 and set(back.context["form"].errors) == {"station"}
    rerouted = staff.post(refer_url, refer_post(city, case, station=gamma.pk, version=case_version(city, case)))
    assert rerouted.status_code == 302, text(rerouted)[:2000]
    with schema_context(city.alpha.schema_name):
        second = Referral.objects.get(case=case, partner=gamma)
    assert second.previous_id == outgoing.pk
    deliver_all(city)
    with schema_context(gamma.schema_name):
        theirs = Referral.objects.get(uid=second.uid)
    head = gamma.memberships.get(role=MemberRole.HEAD).user
    page = host_client(station_host(gamma.code), head).get(f"/desk/referrals/{theirs.pk}/")
    chain = re.search(r'<section class="card" id="chain">(.*?)</section>', text(page), re.S).group(1)
    assert outgoing.number in chain and city.beta.name in chain and "本站检定设备送修" in chain


@pytest.mark.clause("5.2.2")
def test_the_sender_withdraws_a_waiting_referral(city, published, staff, beta_staff, enterprise):
    case, outgoing, incoming = referred_case(city, enterprise)
    url = f"/desk/referrals/{outgoing.pk}/"
    page = text(staff.get(url))
    assert 'id="withdraw-form"' in page and 'id="accept-form"' not in page
    # The sender cannot accept its own referral.
    refused = staff.post(url, {"action": "accept", "version": outgoing.version})
    assert refused.status_code == 400 and 'id="refused"' in text(refused)
    withdrawn = staff.post(url, {"action": "withdraw", "reason": "企业自行联系", "version": outgoing.version})
    assert withdrawn.status_code == 302
    assert copy_in(city.alpha.schema_name, outgoing).state == S.WITHDRAWN
    deliver_all(city)
    theirs = copy_in(city.beta.schema_name, incoming)
    assert theirs.state == S.WITHDRAWN
    page = text(beta_staff.get(f"/desk/referrals/{theirs.pk}/"))
    assert 'data-state="withdrawn"' in page and 'id="accept-form"' not in page and "企业自行联系" in page


@pytest.mark.clause("5.2.2")
def test_an_institutions_referral_is_recorded_from_its_page(city, staff, enterprise):
    institution = Institution.objects.create(name="铁岭市计量测试所（转介页面测试）", kind="metrology")
    with schema_context(city.alpha.schema_name):
        referral = institution_referral(city, take_demand(city, enterprise).cases.get(), institution, "需送检")
    url = f"/desk/referrals/{referral.pk}/"
    page = staff.get(url)
    assert page.status_code == 200 and 'id="record-form"' in text(page) and institution.name in text(page)
    assert [value for value, _label in page.context["forms"]["record"].fields["to"].choices] == list(
        services.TRANSITIONS[S.REQUESTED]
    )
    for to in (S.ACCEPTED, S.IN_SERVICE):
        referral = copy_in(city.alpha.schema_name, referral)
        assert staff.post(url, {"action": "record", "to": to, "version": referral.version}).status_code == 302
    referral = copy_in(city.alpha.schema_name, referral)
    bare = staff.post(url, {"action": "record", "to": S.COMPLETED, "version": referral.version})
    assert bare.status_code == 400 and set(bare.context["forms"]["record"].errors) == {"outcome"}
    done = staff.post(
        url, {"action": "record", "to": S.COMPLETED, "outcome": "检定合格 3 块", "version": referral.version}
    )
    assert done.status_code == 302
    referral = copy_in(city.alpha.schema_name, referral)
    assert referral.state == S.COMPLETED and referral.outcome == "检定合格 3 块"
    assert 'id="record-form"' not in text(staff.get(url))


@pytest.mark.clause("7.3")
@pytest.mark.parametrize("who", ["outsider", "beta_staff", "beta_head", "bureau_admin", "bureau_viewer"])
def test_outsiders_are_refused_on_every_referral_page(city, published, alpha_host, enterprise, who):
    case, outgoing, _incoming = referred_case(city, enterprise)
    client = host_client(alpha_host, getattr(city, who))
    for path in (
        "/desk/referrals/",
        "/desk/referrals/?tab=out",
        f"/desk/referrals/{outgoing.pk}/",
        f"/desk/referrals/cases/{case.pk}/refer/",
    ):
        assert client.get(path).status_code == 403, path
    refused = client.post(f"/desk/referrals/{outgoing.pk}/", {"action": "withdraw", "version": outgoing.version})
    assert refused.status_code == 403
    refer_refused = client.post(f"/desk/referrals/cases/{case.pk}/refer/", refer_post(city, case))
    assert refer_refused.status_code == 403
    assert copy_in(city.alpha.schema_name, outgoing).state == S.REQUESTED
    assert host_client(alpha_host).get("/desk/referrals/").status_code == 302  # anonymous: to the sign-in page


def _without_tokens(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text(response))


@pytest.mark.clause("7.3")
def test_another_stations_referral_is_not_found(city, published, beta_host, beta_staff, enterprise):
    case = new_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        outgoing = refer(city, case)  # not delivered: beta holds no referral at all
    with schema_context(city.beta.schema_name):
        assert not Referral.objects.exists()
    missing_pk = outgoing.pk + 100_000
    alphas = beta_staff.get(f"/desk/referrals/{outgoing.pk}/")
    missing = beta_staff.get(f"/desk/referrals/{missing_pk}/")
    assert alphas.status_code == missing.status_code == 404
    assert _without_tokens(alphas) == _without_tokens(missing)
    posted = beta_staff.post(f"/desk/referrals/{outgoing.pk}/", {"action": "accept", "version": outgoing.version})
    assert posted.status_code == 404
    # Alpha's case number is no case of beta's either.
    assert beta_staff.get(f"/desk/referrals/cases/{case.pk}/refer/").status_code == 404
    assert outgoing.number not in text(beta_staff.get("/desk/referrals/?tab=in"))


def test_the_list_page_query_count_is_fixed(city, published, staff, enterprise, django_assert_max_num_queries):
    def some(count):
        with schema_context(city.alpha.schema_name):
            for _ in range(count):
                refer(city, take_demand(city, enterprise).cases.get())

    some(2)
    staff.get("/desk/referrals/?tab=out")
    with django_assert_max_num_queries(12) as few:
        assert len(staff.get("/desk/referrals/?tab=out").context["page"]) == 2
    some(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(staff.get("/desk/referrals/?tab=out").context["page"]) == 7
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff.get("/desk/referrals/?tab=overdue")

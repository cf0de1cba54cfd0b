"""Personal information on the pages (个人信息保护, issue 18): contact details masked in lists and whole only on the
record's own page; what the public forms collect, why, who sees it, how long and whom to ask, said on the forms."""

import pytest
from django_tenants.utils import schema_context

from core.archive.services import RETENTION_YEARS
from tenants.models import StationStatus, User
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "13912340000", "zhang@example.com"


def test_the_desk_lists_no_contact_details_and_the_demand_shows_them_whole(city, alpha_host):
    with schema_context(city.alpha.schema_name):
        demand = take_demand(city, new_enterprise(phone=PHONE, email=EMAIL))
    staff = host_client(alpha_host, city.alpha_staff)
    listed = staff.get("/desk/demands/").content.decode()
    assert demand.number in listed
    assert PHONE not in listed and EMAIL not in listed and "139****0000" not in listed
    detail = staff.get(f"/desk/demands/{demand.pk}/").content.decode()
    assert PHONE in detail and EMAIL in detail


def test_the_consoles_member_list_masks_phones_and_e_mails(city, public_host):
    User.objects.filter(pk=city.alpha_staff.pk).update(phone="024-70000009")
    page = host_client(public_host, city.bureau_admin).get(f"/console/stations/{city.alpha.pk}/").content.decode()
    assert "024-****0009" in page and "024-70000009" not in page
    # (A head's user name may be its e-mail address: the row names the member by it, but shows no address whole.)
    assert f"<td>{city.alpha_head.email}</td>" not in page
    assert f"<td>{city.alpha_head.email[0]}***@example.test</td>" in page
    # The station's own service and complaint phones are public: whole.
    assert "024-70000001" in page and "024-70000002" in page


def test_an_outsider_is_refused_the_pages_with_contact_details(city, public_host, alpha_host):
    assert host_client(public_host, city.outsider).get(f"/console/stations/{city.alpha.pk}/").status_code == 403
    assert host_client(alpha_host, city.outsider).get("/desk/demands/").status_code == 403


def test_the_online_demand_form_says_how_the_information_is_used(city, public_host):
    html = host_client(public_host).get("/demand/").content.decode()
    start = html.index('id="privacy-notice"')
    notice = html[start : html.index("</section>", start)]
    for words in (
        "统一社会信用代码",  # what: the enterprise's identity, the contact, the demand
        "联系电话",
        "电子邮箱",
        "满意度",  # why: to serve, refer and survey
        "转介",  # who: the station, and whoever the demand is referred to
        f"{RETENTION_YEARS} 年",  # how long: the archive's retention
        "服务电话",  # whom to ask to correct it
    ):
        assert words in notice, (words, notice)


def test_the_public_feedback_form_says_how_the_contact_is_used(city, alpha_host):
    from tenants.models import Station

    Station.objects.filter(pk=city.alpha.pk).update(status=StationStatus.PUBLISHED)
    html = host_client(alpha_host).get("/feedback/").content.decode()
    start = html.index('id="privacy-notice"')
    notice = html[start : html.index("</p>", start)]
    assert "仅用于答复您" in notice and "024-70000002" in notice, notice

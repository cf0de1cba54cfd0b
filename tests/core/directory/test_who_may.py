"""Who adds to the shared directory, checked by its services whatever the caller (issue 16): bureau administrators
on the public host, a station's members on theirs (staff add enterprises at intake), the enterprise itself through
the portal's demand form; never a bureau viewer."""

import random

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django_tenants.utils import schema_context

from core.directory import services, uscc
from core.directory.models import Enterprise, Institution, Qualification
from core.jobs.models import Job
from tenants.selectors import MESSAGES, PLATFORM, PUBLIC
from tests.conftest import host_client

pytestmark = pytest.mark.django_db
RNG = random.Random(1616)  # noqa: S311  (test data)


def enterprise_values(**changes) -> dict:
    return {"name": "铁岭市权限测试机械有限公司", "uscc": uscc.generate(RNG), "district": "yinzhou", **changes}


def institution_values() -> dict:
    return {"name": "铁岭市权限测试计量所", "kind": "metrology"}


def adding_refused() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext("Only the bureau's administrators and the stations' members add to the directory.")


@pytest.mark.parametrize("who", ["bureau_viewer", "outsider", "alpha_head"])
def test_on_the_public_host_only_bureau_administrators_add(city, who):
    user = getattr(city, who)
    jobs = Job.objects.count()  # other tests may have committed jobs of their own
    with pytest.raises(PermissionDenied):
        services.enterprise_create(user=user, station=None, **enterprise_values())
    with pytest.raises(PermissionDenied):
        services.institution_create(user=user, station=None, **institution_values())
    with pytest.raises(PermissionDenied):
        upload = SimpleUploadedFile("e.csv", "企业名称,统一社会信用代码,所在区县\n".encode())
        services.directory_import_start(what="enterprises", user=user, station=None, file=upload)
    assert not Enterprise.objects.filter(name="铁岭市权限测试机械有限公司").exists()
    assert not Institution.objects.filter(name="铁岭市权限测试计量所").exists()
    assert Job.objects.count() == jobs
    assert (
        services.enterprise_create(user=city.bureau_admin, station=None, **enterprise_values()).source_station is None
    )
    assert services.institution_create(user=city.bureau_admin, station=None, **institution_values()).pk


def test_a_viewer_s_refusal_says_why(city):
    with translation.override(settings.LANGUAGE_CODE), pytest.raises(PermissionDenied) as refusal:
        services.enterprise_create(user=city.bureau_viewer, station=None, **enterprise_values())
    assert str(refusal.value) == adding_refused()


@pytest.mark.parametrize("who", ["alpha_head", "alpha_staff"])
def test_a_station_s_members_add_for_their_station(city, who):
    user = getattr(city, who)
    with schema_context(city.alpha.schema_name):
        enterprise = services.enterprise_create(user=user, station=city.alpha, **enterprise_values())
        institution = services.institution_create(user=user, station=city.alpha, **institution_values())
    assert (enterprise.source_station, enterprise.created_by_id) == (city.alpha, user.pk)
    assert institution.source_station == city.alpha


@pytest.mark.parametrize("who", ["beta_staff", "bureau_admin", "bureau_viewer"])
def test_nobody_adds_in_a_station_they_are_not_a_member_of(city, who):
    with schema_context(city.alpha.schema_name):
        with pytest.raises(PermissionDenied):
            services.enterprise_create(user=getattr(city, who), station=city.alpha, **enterprise_values())
        with pytest.raises(PermissionDenied):
            services.institution_create(user=getattr(city, who), station=city.alpha, **institution_values())
    assert not Enterprise.objects.filter(name="铁岭市权限测试机械有限公司").exists()


def test_the_enterprise_itself_adds_only_itself_and_says_so(city):
    enterprise = services.enterprise_create(user=PUBLIC, station=city.alpha, **enterprise_values())
    assert (enterprise.source_station, enterprise.created_by_id) == (city.alpha, None)
    with pytest.raises(PermissionDenied):  # the public adds no institution
        services.institution_create(user=PUBLIC, station=city.alpha, **institution_values())
    for actor in (PLATFORM, MESSAGES, None):  # no other system actor, and never no one
        with pytest.raises(PermissionDenied):
            services.enterprise_create(user=actor, station=city.alpha, **enterprise_values())


def test_a_viewer_edits_no_entry_and_adds_no_qualification(city):
    enterprise = services.enterprise_create(user=city.bureau_admin, station=None, **enterprise_values())
    institution = services.institution_create(user=city.bureau_admin, station=None, **institution_values())
    with pytest.raises(PermissionDenied):
        services.enterprise_update(enterprise=enterprise, user=city.bureau_viewer, station=None, phone="024-1")
    with pytest.raises(PermissionDenied):
        services.institution_update(institution=institution, user=city.bureau_viewer, station=None, phone="024-1")
    with pytest.raises(PermissionDenied):
        services.qualification_create(
            institution=institution, user=city.bureau_viewer, station=None, kind="cma", number="X1"
        )
    assert Enterprise.objects.get(pk=enterprise.pk).phone == ""
    assert not Qualification.objects.filter(institution=institution).exists()


def test_a_member_of_one_station_edits_nothing_as_another(city):
    """A station's members edit what their station added, and only while they are its members."""
    with schema_context(city.alpha.schema_name):
        enterprise = services.enterprise_create(user=city.alpha_staff, station=city.alpha, **enterprise_values())
    with schema_context(city.beta.schema_name), pytest.raises(PermissionDenied):
        # beta's member naming alpha as the station: not a member there.
        services.enterprise_update(enterprise=enterprise, user=city.beta_staff, station=city.alpha, phone="024-2")
    assert Enterprise.objects.get(pk=enterprise.pk).phone == ""


@pytest.mark.parametrize("path", ["/api/v1/enterprises/", "/api/v1/institutions/"])
def test_the_api_refuses_a_viewer_with_a_chinese_403_and_adds_nothing(city, public_host, path):
    body = enterprise_values() if "enterprises" in path else institution_values()
    before = Enterprise.objects.count(), Institution.objects.count()
    response = host_client(public_host, city.bureau_viewer).post(path, body, content_type="application/json")
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert any("\u4e00" <= character <= "\u9fff" for character in detail), detail
    assert (Enterprise.objects.count(), Institution.objects.count()) == before
    created = host_client(public_host, city.bureau_admin).post(path, body, content_type="application/json")
    assert created.status_code == 201


def test_the_pages_refuse_a_viewer_too(city, public_host):
    client = host_client(public_host, city.bureau_viewer)
    assert client.post("/directory/enterprises/new/", enterprise_values()).status_code == 403
    assert client.post("/directory/institutions/new/", institution_values()).status_code == 403
    assert not Enterprise.objects.filter(name="铁岭市权限测试机械有限公司").exists()
    # Reading, and exporting what they read, stay theirs.
    assert client.get("/directory/enterprises/new/").status_code == 200
    assert client.post("/api/v1/directory/exports/", {"what": "enterprises"}).status_code == 202

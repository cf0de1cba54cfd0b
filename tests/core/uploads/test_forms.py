"""A crafted file refused where people upload (issue 16): the page answers on the file's field, saying what is wrong,
and keeps everything else that was typed; the API answers with a field error; nothing is kept."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from core.operations.models import SystemDocumentVersion
from core.supervision.models import Opinion
from tests.conftest import host_client
from tests.core.supervision.builders import public_form
from tests.core.uploads import crafted


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_public_form_refuses_a_polyglot_photo_on_its_field_and_keeps_what_was_typed(city, published, alpha_host):
    visitor = host_client(alpha_host)
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    polyglot = SimpleUploadedFile(
        "门口.png", b"\x89PNG\r\n\x1a\n" + crafted.executable_tail(), content_type="image/png"
    )
    typed = {"anonymous": "", "name": "王五", "phone": "13900000000", "text": "门口无坡道，轮椅进不去"}
    response = visitor.post("/feedback/", public_form(photo=polyglot, **typed))
    assert response.status_code == 400
    body = response.content.decode()
    assert "The file “门口.png” is not a valid PNG image." in body
    assert all(value in body for value in ("王五", "13900000000", "门口无坡道，轮椅进不去"))
    bomb = SimpleUploadedFile("门口.png", crafted.png(20_000, 20_000), content_type="image/png")
    response = visitor.post("/feedback/", public_form(photo=bomb, **typed))
    assert response.status_code == 400 and "has too many pixels" in response.content.decode()
    with schema_context(city.alpha.schema_name):
        assert not Opinion.objects.exists()


def test_the_api_refuses_a_zip_bomb_on_the_file_field(city, alpha_host):
    head = host_client(alpha_host, city.alpha_head)
    head.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    bomb = SimpleUploadedFile("档案管理制度.docx", crafted.docx_bomb())
    response = head.post("/api/v1/operations/systems/c/versions/", {"effective_on": "2026-01-01", "file": bomb})
    assert response.status_code == 400
    [message] = response.json()["file"]
    assert "档案管理制度.docx" in message and "unpacks to 1.0\xa0GB" in message
    with schema_context(city.alpha.schema_name):
        assert not SystemDocumentVersion.objects.exists()

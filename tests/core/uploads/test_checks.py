"""The upload check: a file's kind is read from its content (never its name or the browser's Content-Type), and its
size is limited; a refusal is a field-level message that names the file and what is accepted."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.uploads.checks import sniff, upload_check
from tests.core.evaluation.builders import JPEG, PDF, PNG, office, upload

ALL = ("jpeg", "png", "pdf", "docx", "xlsx")
LIMIT = 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("照片.jpg", JPEG, "jpeg"),
        ("照片.png", PNG, "png"),
        ("制度.pdf", PDF, "pdf"),
        ("岗位职责.docx", office("word/document.xml"), "docx"),
        ("设备台账.xlsx", office("xl/workbook.xml"), "xlsx"),
        ("named-wrongly.pdf", PNG, "png"),  # a real PNG called .pdf is a PNG
        ("no-extension", PDF, "pdf"),
    ],
)
def test_accepted_kinds_are_recognised_by_their_content(name, content, kind):
    file = upload(name, content, content_type="text/plain")  # whatever the browser says
    assert upload_check(file=file, allowed=ALL, max_bytes=LIMIT).name == kind
    assert file.tell() == 0  # left at its start, ready to be stored


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("renamed.pdf", b"This is a text file, renamed from notes.png to renamed.pdf"),
        ("script.png", b"<script>alert(1)</script>"),
        ("archive.docx", office("content.xml")),  # a ZIP, but no Office document
        ("broken.xlsx", b"PK\x03\x04 not really a zip"),
        ("program.pdf", b"MZ\x90\x00\x03"),
    ],
)
def test_anything_else_is_refused_on_the_field_whatever_its_name(name, content):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        upload_check(file=upload(name, content, content_type="application/pdf"), allowed=ALL, max_bytes=LIMIT)
    [message] = refused.value.message_dict["file"]
    assert name in message and "whatever its name says" in message


def test_a_kind_not_allowed_here_is_refused():
    with pytest.raises(ValidationError) as refused:
        upload_check(file=upload("a.png", PNG), allowed=("pdf",), max_bytes=LIMIT, field="document")
    assert list(refused.value.message_dict) == ["document"]


def test_an_oversize_or_empty_file_is_refused():
    big = upload("big.pdf", PDF + b"0" * 2048)
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        upload_check(file=big, allowed=ALL, max_bytes=1024)
    [message] = refused.value.message_dict["file"]
    assert "big.pdf" in message and "1.0\xa0KB" in message
    with pytest.raises(ValidationError):
        upload_check(file=upload("empty.pdf", b""), allowed=ALL, max_bytes=LIMIT)
    assert upload_check(file=upload("fits.pdf", PDF), allowed=ALL, max_bytes=len(PDF)).name == "pdf"


def test_sniffing_reads_nothing_but_the_start():
    assert sniff(upload("x", b"")) is None
    assert sniff(upload("x", b"%PDF")) is None  # a truncated magic is not enough

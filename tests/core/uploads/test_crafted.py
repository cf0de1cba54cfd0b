"""Uploads are checked for what they are (issue 16), with crafted files: a file that starts like a PDF, a PNG or a
JPEG and goes on as an executable, a small PNG that declares a huge picture, a Word document that inflates to 1 GiB,
a workbook whose shared strings inflate to 108 MB. Each is refused on its field, saying what is wrong; ordinary files
of each kind still pass."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfWriter

from core.uploads.checks import upload_check, zip_check
from tests.core.evaluation.builders import JPEG, PDF, PNG, upload
from tests.core.uploads import crafted

ALL = ("jpeg", "png", "pdf", "docx", "xlsx")
LIMIT = 10 * 1024 * 1024


class ReadCounter(io.BytesIO):
    """A file that counts the bytes read from it: a ZIP bomb must be refused without inflating it."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def counted(name: str, content: bytes) -> UploadedFile:
    return UploadedFile(
        file=ReadCounter(content), name=name, content_type="application/octet-stream", size=len(content)
    )


def refusal(file, allowed=ALL, field="file") -> tuple[str, str]:
    """The one message and code upload_check refuses `file` with, in English."""
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        upload_check(file=file, allowed=allowed, max_bytes=LIMIT, field=field)
    [error] = refused.value.error_dict[field]
    assert file.tell() == 0  # left at its start whatever happened
    return error.message, error.code


# --- Polyglots: the right first bytes, then an executable -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("制度.pdf", b"%PDF-1.4\n" + crafted.executable_tail(), "is not a valid PDF document"),
        ("制度.pdf", b"%PDF-1.4\n" + crafted.executable_tail() + b"\nstartxref\n9\n%%EOF\n", "is not a valid PDF"),
        ("现场.png", b"\x89PNG\r\n\x1a\n" + crafted.executable_tail(), "is not a valid PNG image"),
        ("现场.jpg", b"\xff\xd8\xff\xe0" + crafted.executable_tail(), "is not a valid JPEG photo"),
        ("现场.jpg", JPEG[: len(JPEG) // 2] + crafted.executable_tail(), "is not a valid JPEG photo"),
    ],
)
def test_a_file_that_only_starts_like_its_kind_is_refused_saying_so(name, content, expected):
    message, code = refusal(upload(name, content))
    assert name in message and expected in message
    assert code in {"invalid_pdf", "invalid_image"}


def test_a_pdf_needs_pages_and_no_password():
    empty, buffer = PdfWriter(), io.BytesIO()
    empty.write(buffer)
    assert refusal(upload("空白.pdf", buffer.getvalue())) == ("The PDF “空白.pdf” has no pages.", "pdf_empty")
    locked, buffer = PdfWriter(), io.BytesIO()
    locked.add_blank_page(width=595, height=842)
    locked.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    locked.write(buffer)
    message, code = refusal(upload("加密.pdf", buffer.getvalue()))
    assert code == "pdf_encrypted" and "protected by a password" in message
    # Restrictions without a password to open it (common in scanned documents) open as in any viewer.
    restricted, buffer = PdfWriter(), io.BytesIO()
    restricted.add_blank_page(width=595, height=842)
    restricted.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    restricted.write(buffer)
    assert upload_check(file=upload("限制打印.pdf", buffer.getvalue()), allowed=ALL, max_bytes=LIMIT).name == "pdf"


# --- Pictures: decoded, within a pixel limit --------------------------------------------------------------------------


def test_a_decompression_bomb_picture_is_refused_before_it_is_decoded():
    bomb = crafted.png(20_000, 20_000)  # 400 megapixels declared in a file of about a hundred bytes
    assert len(bomb) < 200
    message, code = refusal(upload("炸弹.png", bomb), field="photo")
    assert code == "image_pixels" and "炸弹.png" in message and "up to 40 megapixels" in message
    # Past the setting but under Pillow's own alarm (89 megapixels): refused all the same.
    assert refusal(upload("大图.png", crafted.png(10_000, 5_000)))[1] == "image_pixels"


def test_the_pixel_limit_is_a_setting(settings):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 11  # the sample pictures are 4 x 3
    assert refusal(upload("照片.png", PNG))[1] == "image_pixels"
    assert refusal(upload("照片.jpg", JPEG))[1] == "image_pixels"
    settings.UPLOAD_IMAGE_MAX_PIXELS = 12
    assert upload_check(file=upload("照片.jpg", JPEG), allowed=ALL, max_bytes=LIMIT).name == "jpeg"


@pytest.mark.parametrize(
    "pixel_data",
    [
        bytes(50 * 1024 * 1024),  # a 10 x 10 picture whose data inflates to 50 MB
        bytes(50),  # too little for its rows
    ],
)
def test_a_png_whose_picture_data_is_not_its_declared_size_is_refused(pixel_data):
    message, code = refusal(upload("图.png", crafted.png(10, 10, pixel_data)))
    assert code == "invalid_image" and "is not a valid PNG image" in message


def test_a_png_of_exactly_its_declared_size_passes_interlaced_or_not():
    rows = b"".join(b"\x00" + bytes(range(10)) for _ in range(7))
    assert upload_check(file=upload("图.png", crafted.png(10, 7, rows)), allowed=ALL, max_bytes=LIMIT).name == "png"
    for interlace in (False, True):
        buffer = io.BytesIO()
        Image.new("RGBA", (13, 9), (200, 10, 10, 128)).save(buffer, "PNG", interlace=interlace)
        assert upload_check(file=upload("图.png", buffer.getvalue()), allowed=ALL, max_bytes=LIMIT).name == "png"


# --- Office documents: bounded before anything inflates ---------------------------------------------------------------


def test_a_word_document_that_inflates_to_a_gibibyte_is_refused_without_inflating_it():
    bomb = crafted.docx_bomb()
    assert len(bomb) < 1_100_000
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo("word/document.xml").file_size == 1 << 30
    file = counted("岗位职责.docx", bomb)
    message, code = refusal(file)
    assert code == "zip_size" and "岗位职责.docx" in message and "1.0\xa0GB" in message and "100.0\xa0MB" in message
    assert file.file.bytes_read < 64 * 1024  # the central directory only, not the megabyte of deflated zeros


def test_a_workbook_whose_shared_strings_inflate_to_108_mb_is_refused():
    bomb = crafted.xlsx_shared_strings_bomb()
    archive = zipfile.ZipFile(io.BytesIO(bomb))
    strings = archive.getinfo("xl/sharedStrings.xml")
    assert strings.file_size > 108_000_000 and strings.file_size < 30 * strings.compress_size  # an ordinary ratio
    file = counted("企业名录.xlsx", bomb)
    message, code = refusal(file, allowed=("xlsx",))
    assert code == "zip_size" and "103.3\xa0MB" in message
    assert file.file.bytes_read < 64 * 1024


def test_a_compression_ratio_no_ordinary_document_has_is_refused():
    bomb = crafted.office("word/document.xml", crafted.repeated("word/media/image1.bin", bytes(1 << 20), 20))
    message, code = refusal(upload("小文件.docx", bomb))
    assert code == "zip_ratio" and "up to 100 times" in message


def test_too_many_entries_are_refused(settings):
    settings.UPLOAD_ZIP_MAX_ENTRIES = 3
    entries = [crafted.deflated(f"word/media/{n}.xml", b"<x/>") for n in range(2)]
    message, code = refusal(upload("多.docx", crafted.office("word/document.xml", *entries)))
    assert code == "zip_entries" and "4 parts" in message


def test_a_document_whose_entry_is_not_what_its_directory_declares_is_refused():
    honest = crafted.deflated("word/document.xml", b"<document>" + b"x" * 5000 + b"</document>")
    lying = crafted.Member(honest.name, honest.stored, 100, honest.crc)  # declares 100 bytes
    content = crafted.zip_of([crafted.deflated("[Content_Types].xml", b"<Types/>"), lying])
    message, code = refusal(upload("改过的.docx", content))
    assert code == "invalid_zip" and "is not a valid Office document" in message


def test_zip_check_takes_its_limits_and_leaves_the_file_at_its_start():
    document = io.BytesIO(crafted.office("xl/workbook.xml"))
    assert zip_check(document) == ["[Content_Types].xml", "xl/workbook.xml"] and document.tell() == 0
    with pytest.raises(ValidationError) as refused:
        zip_check(document, max_total_bytes=10, max_ratio=100, max_entries=10, field="upload")
    assert refused.value.error_dict["upload"][0].code == "zip_size" and document.tell() == 0
    with pytest.raises(ValidationError) as refused:
        zip_check(io.BytesIO(crafted.zip_of([crafted.deflated("xl/workbook.xml", b"<w/>")])))
    assert refused.value.error_dict["file"][0].code == "invalid_zip"  # no content types part: no Office file


def test_ordinary_workbooks_and_documents_pass():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["企业名称", "统一社会信用代码", "所在区县", "联系人", "电话"])
    for n in range(5_000):
        sheet.append([f"铁岭市银州区测试机械有限公司{n}", f"91211200MA0{n:07d}", "银州区", "王经理", "024-72000000"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert (
        upload_check(file=upload("企业名录.xlsx", buffer.getvalue()), allowed=("xlsx",), max_bytes=LIMIT).name == "xlsx"
    )
    assert (
        upload_check(
            file=upload("岗位职责.docx", crafted.office("word/document.xml")), allowed=ALL, max_bytes=LIMIT
        ).name
        == "docx"
    )
    assert upload_check(file=upload("制度.pdf", PDF), allowed=ALL, max_bytes=LIMIT).name == "pdf"

"""Builders of supervision tests: files to upload, and the public form filled in as a person would."""

import datetime

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.supervision import services
from tests.core.evaluation.builders import PNG


def png(name: str = "box.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def fake_png(name: str = "box.png") -> SimpleUploadedFile:
    """Named and typed as a photo, but a script by its content."""
    return SimpleUploadedFile(name, b"#!/bin/sh\necho hi\n", content_type="image/png")


def stamp_ago(seconds: float) -> str:
    """The stamp of a form shown `seconds` ago."""
    with time_machine.travel(timezone.now() - datetime.timedelta(seconds=seconds), tick=False):
        return services.form_stamp()


def public_form(**extra) -> dict:
    return {
        "kind": "complaint",
        "text": "窗口人员态度生硬，等了一个小时",
        "anonymous": "on",
        "name": "",
        "phone": "",
        "email": "",
        "website": "",
        "stamp": stamp_ago(30),
    } | extra

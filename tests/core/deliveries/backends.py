"""Providers that fail, for the deliveries' tests (external services: a fake stands in for them)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

from core.common.sms import FileBackend, SmsFailure


class FlakyBackend(FileBackend):
    """The file backend behind a provider that is down for the next `failures` messages (transient), then works."""

    failures = 0
    reason = "isp.SYSTEM_ERROR: 系统异常"

    def send(self, *, phone, kind, params, text):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise SmsFailure(self.reason)
        return super().send(phone=phone, kind=kind, params=params, text=text)


class WrongNumberBackend(FileBackend):
    """A provider that refuses every number for good."""

    def send(self, *, phone, kind, params, text):
        raise SmsFailure("isv.MOBILE_NUMBER_ILLEGAL: 非法手机号", permanent=True)


class RefusingEmailBackend(BaseEmailBackend):
    """A mail server that refuses every recipient for good (550)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"5.1.1 No such user") for message in email_messages})


class UnreachableEmailBackend(BaseEmailBackend):
    """A mail server that cannot be reached."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")

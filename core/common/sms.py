"""Text messages (SMS) to mainland China mobile numbers, through the gateway `settings.SMS_BACKEND` names.

- `mobile_number(value)`: the 11-digit mobile number written in `value` (spaces, dashes, a +86 / 86 prefix, full-width
  digits are accepted), or "" when it holds none.
- `sms_backend()`: the configured backend; its `send(phone=, kind=, params=, text=)` returns the provider's message id
  or raises `SmsFailure`, permanent (a wrong number, a template's missing parameter: trying again cannot help) or not
  (an outage, a timeout, the provider's throttling: the caller tries again later).
- `FileBackend` (development, tests, the demo) writes each message to a text file under `settings.SMS_FILE_PATH`, as
  Django's e-mail file backend does; `AliyunBackend` sends through Alibaba Cloud SMS (its official SDK,
  `alibabacloud-dysmsapi20170525`), one provider template per kind of message (`settings.SMS_TEMPLATES`) and the
  signature `settings.SMS_SIGN_NAME`, both configured, never written in the code.

Who sends, how often and with which status is `core.deliveries`' business: this module only talks to the gateway.
"""

import json
import logging
import os
import re
import unicodedata
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.common.masking import mask_phone

logger = logging.getLogger(__name__)

MOBILE = re.compile(r"1[3-9]\d{9}")
# What may stand around a mobile number's digits as written by people: spaces, dashes, dots, brackets around +86.
SEPARATORS = re.compile(r"[\s\-.()]")
# A country code written before the number: +86, 86, 0086.
COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")


def mobile_number(value: str) -> str:
    """The 11-digit mainland China mobile number in `value` ("+86 139-1234-0000" → "13912340000"), else ""."""
    if not isinstance(value, str):
        return ""
    text = SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    text = COUNTRY_PREFIX.sub("", text)
    return text if MOBILE.fullmatch(text) else ""


class SmsFailure(Exception):
    """A message the gateway did not take. `reason` is what the provider said (kept on the delivery and shown to
    staff); `permanent` when sending it again cannot succeed (a wrong number, a template it does not fit)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent

    def __str__(self) -> str:
        return self.reason


class SmsBackend:
    """A gateway to an SMS provider."""

    def send(self, *, phone: str, kind: str, params: dict[str, str], text: str) -> str:
        """Send one message to `phone` (11 digits); the provider's message id. `kind` names the message (its
        provider template is `settings.SMS_TEMPLATES[kind]`), `params` are the template's variables and `text` the
        whole message as we render it. Raises `SmsFailure`."""
        raise NotImplementedError


class FileBackend(SmsBackend):
    """Each message a UTF-8 text file under `settings.SMS_FILE_PATH`, named by the time it was written
    (`20261207-013501-123456-<hex>.txt`, so that the names sort in order): the header lines `To:`, `Kind:`,
    `Template:`, `Date:`, a blank line, then the text as it is (a link stays whole on its own line)."""

    def __init__(self, *, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path if path is not None else settings.SMS_FILE_PATH)

    def send(self, *, phone: str, kind: str, params: dict[str, str], text: str) -> str:
        now = timezone.localtime()
        name = f"{now:%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:12]}"
        content = (
            f"To: {phone}\n"
            f"Kind: {kind}\n"
            f"Template: {settings.SMS_TEMPLATES.get(kind, '')}\n"
            f"Date: {now:%Y-%m-%d %H:%M:%S %z}\n"
            "\n"
            f"{text}\n"
        )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            # Written aside then renamed: whoever reads the folder never sees half a message.
            partial = self.path / f".{name}.tmp"
            partial.write_text(content, encoding="utf-8")
            partial.replace(self.path / f"{name}.txt")
        except OSError as error:
            raise SmsFailure(f"{type(error).__name__}: {error}") from error
        return name

    def messages_to(self, phone: str) -> list[Path]:
        """The files of the messages sent to `phone`, oldest first (the last is the newest)."""
        if not self.path.is_dir():
            return []
        wanted = f"To: {mobile_number(phone) or phone}\n"
        return [path for path in sorted(self.path.glob("*.txt")) if path.read_text(encoding="utf-8").startswith(wanted)]


# Alibaba Cloud SMS's answers (https://help.aliyun.com/document_detail/101346.html) that no retry can change: the
# number, the template's variables, the template or signature themselves, or the content. Any other code (the
# provider's throttling isv.BUSINESS_LIMIT_CONTROL, isv.DAY_LIMIT_CONTROL, an account out of credit
# isv.AMOUNT_NOT_ENOUGH or suspended isv.OUT_OF_SERVICE, isp.SYSTEM_ERROR) is retried: it passes, or an operator fixes
# it, while the message waits.
ALIYUN_PERMANENT = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
    }
)
ALIYUN_CONNECT_TIMEOUT_MS = 5_000
ALIYUN_READ_TIMEOUT_MS = 10_000


class AliyunBackend(SmsBackend):
    """Alibaba Cloud SMS (dysmsapi 2017-05-25) through its official SDK, imported only when a message is sent.
    `client` stands in for the SDK's client (tests give a fake provider)."""

    def __init__(self, *, client=None) -> None:
        self._client = client

    def client(self):
        if self._client is None:
            from alibabacloud_dysmsapi20170525.client import Client
            from alibabacloud_tea_openapi.models import Config

            self._client = Client(
                Config(
                    access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
                    access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
                    endpoint=settings.SMS_ALIYUN_ENDPOINT,
                    connect_timeout=ALIYUN_CONNECT_TIMEOUT_MS,
                    read_timeout=ALIYUN_READ_TIMEOUT_MS,
                )
            )
        return self._client

    def send(self, *, phone: str, kind: str, params: dict[str, str], text: str) -> str:
        template = settings.SMS_TEMPLATES.get(kind, "")
        if not template:
            reason = _(
                "No SMS template is configured for messages of the kind %(kind)s (setting STATIONNET_SMS_TEMPLATES)."
            ) % {"kind": kind}
            raise SmsFailure(reason, permanent=True)
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest
        from darabonba.runtime import RuntimeOptions

        request = SendSmsRequest(
            phone_numbers=phone,
            sign_name=settings.SMS_SIGN_NAME,
            template_code=template,
            template_param=json.dumps(params, ensure_ascii=False),
        )
        runtime = RuntimeOptions(
            autoretry=False, connect_timeout=ALIYUN_CONNECT_TIMEOUT_MS, read_timeout=ALIYUN_READ_TIMEOUT_MS
        )
        try:
            response = self.client().send_sms_with_options(request, runtime)
        except Exception as error:  # the SDK's and the network's errors alike: the gateway did not take it
            code = getattr(error, "code", None)
            if isinstance(code, str) and code:
                reason = f"{code}: {getattr(error, 'message', '') or ''}".strip()
                raise SmsFailure(reason, permanent=code in ALIYUN_PERMANENT) from error
            raise SmsFailure(f"{type(error).__name__}: {error}") from error
        body = getattr(response, "body", None)
        if body is None or not body.code:
            raise SmsFailure(_("The SMS provider gave no answer."))
        if body.code != "OK":
            raise SmsFailure(f"{body.code}: {body.message or ''}".strip(), permanent=body.code in ALIYUN_PERMANENT)
        logger.info("SMS %s to %s sent by Alibaba Cloud: %s", kind, mask_phone(phone), body.biz_id)
        return body.biz_id or ""


def sms_backend() -> SmsBackend:
    """The backend `settings.SMS_BACKEND` names (a dotted path to a class), a new instance."""
    return import_string(settings.SMS_BACKEND)()

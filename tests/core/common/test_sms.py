"""The SMS gateway: mobile numbers, the file backend, and the Alibaba Cloud adapter against a fake provider (the SDK's
own response models; one fake replaces the SDK's HTTP call, so the request the SDK would send is checked too)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsResponse, SendSmsResponseBody
from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException
from alibabacloud_tea_openapi.models import Config
from django.utils import translation

from core.common.sms import AliyunBackend, FileBackend, SmsFailure, mobile_number, sms_backend

# --- Mobile numbers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("13912340000", "13912340000"),
        (" 139 1234 0000 ", "13912340000"),
        ("139-1234-0000", "13912340000"),
        ("+86 139 1234 0000", "13912340000"),
        ("+86-13912340000", "13912340000"),
        ("8613912340000", "13912340000"),
        ("008613912340000", "13912340000"),
        ("(+86) 139 1234 0000", "13912340000"),
        ("１３９１２３４００００", "13912340000"),  # full-width digits, as a Chinese keyboard may type them
        ("19912340000", "19912340000"),
        ("12912340000", ""),  # no network starts 12
        ("1391234000", ""),  # ten digits
        ("139123400001", ""),
        ("024-70000001", ""),  # a fixed line
        ("+1 139 1234 0000", ""),
        ("13912340000 or 13912340001", ""),
        ("139l2340000", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_mobile_number(value, number):
    assert mobile_number(value) == number


# --- The file backend -----------------------------------------------------------------------------------------------


def test_the_file_backend_writes_one_file_per_message_with_its_headers_and_text(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    settings.SMS_TEMPLATES = {"demand_registered": "SMS_100"}
    backend = sms_backend()
    assert isinstance(backend, FileBackend)
    text = "【铁岭服务站】您的需求已受理，编号 ALPHA-2026-000001。查看进度：\nhttps://alpha.localhost/track/abc:def/"
    first = backend.send(
        phone="13912340000", kind="demand_registered", params={"number": "ALPHA-2026-000001"}, text=text
    )
    second = backend.send(phone="13912340001", kind="case_completed", params={}, text="第二条")
    third = backend.send(phone="13912340000", kind="case_completed", params={}, text="第三条")
    files = sorted((tmp_path / "sms").iterdir())
    assert [path.stem for path in files] == [first, second, third]  # named in the order written
    assert all(path.suffix == ".txt" for path in files)
    head, _blank, body = files[0].read_text(encoding="utf-8").partition("\n\n")
    lines = head.splitlines()
    assert lines[:3] == ["To: 13912340000", "Kind: demand_registered", "Template: SMS_100"]
    assert lines[3].startswith("Date: ")
    assert body == text + "\n"
    assert body.splitlines()[-1] == "https://alpha.localhost/track/abc:def/"  # the link whole, on its own line
    assert "Template: \n" in files[1].read_text(encoding="utf-8")  # a kind without a provider template
    assert backend.messages_to("+86 139 1234 0000") == [files[0], files[2]]
    assert backend.messages_to("13800000000") == []


def test_the_file_backend_fails_transiently_when_it_cannot_write(settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.SMS_FILE_PATH = blocked
    with pytest.raises(SmsFailure) as failure:
        sms_backend().send(phone="13912340000", kind="x", params={}, text="x")
    assert not failure.value.permanent


# --- Alibaba Cloud ---------------------------------------------------------------------------------------------------


class FakeAliyun:
    """Stands for the SDK's client: keeps each request and answers with the SDK's response model given (or raises)."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []

    def send_sms_with_options(self, request, runtime):
        self.requests.append((request, runtime))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def _answer(code: str, message: str = "", biz_id: str | None = None) -> SendSmsResponse:
    return SendSmsResponse(
        headers={},
        status_code=200,
        body=SendSmsResponseBody(biz_id=biz_id, code=code, message=message, request_id="F655A8D5-B967-440B"),
    )


@pytest.fixture
def aliyun(settings):
    settings.SMS_BACKEND = "core.common.sms.AliyunBackend"
    settings.SMS_SIGN_NAME = "铁岭市质量服务站"
    settings.SMS_TEMPLATES = {"demand_registered": "SMS_465390123"}
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAI-test"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "secret-test"


def _send(backend, kind="demand_registered"):
    return backend.send(
        phone="13912340000",
        kind=kind,
        params={"number": "ALPHA-2026-000001", "link": "alpha.localhost/t/x"},
        text="whole text",
    )


def test_aliyun_sends_the_configured_template_with_its_parameters_and_returns_the_biz_id(aliyun):
    provider = FakeAliyun(_answer("OK", "OK", biz_id="900619746936498440^0"))
    assert _send(AliyunBackend(client=provider)) == "900619746936498440^0"
    [(request, runtime)] = provider.requests
    assert request.phone_numbers == "13912340000"
    assert request.sign_name == "铁岭市质量服务站"
    assert request.template_code == "SMS_465390123"
    assert request.template_param == '{"number": "ALPHA-2026-000001", "link": "alpha.localhost/t/x"}'
    assert json.loads(request.template_param) == {"number": "ALPHA-2026-000001", "link": "alpha.localhost/t/x"}
    assert runtime.autoretry is False  # our task retries, with back-off; the SDK does not retry behind it
    assert runtime.connect_timeout and runtime.read_timeout


def test_aliyun_chinese_parameters_are_sent_as_they_are(aliyun):
    provider = FakeAliyun(_answer("OK", biz_id="1"))
    AliyunBackend(client=provider).send(phone="13912340000", kind="demand_registered", params={"站": "银州"}, text="")
    assert provider.requests[0][0].template_param == '{"站": "银州"}'


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", True),
        ("isv.TEMPLATE_MISSING_PARAMETERS", True),
        ("isv.SMS_SIGNATURE_ILLEGAL", True),
        ("isv.BLACK_KEY_CONTROL_LIMIT", True),
        ("isv.BUSINESS_LIMIT_CONTROL", False),  # the provider's own throttling: later it goes
        ("isv.DAY_LIMIT_CONTROL", False),
        ("isv.AMOUNT_NOT_ENOUGH", False),  # the account is topped up while the message waits
        ("isp.SYSTEM_ERROR", False),
    ],
)
def test_aliyun_codes_map_to_failures_with_the_providers_reason(aliyun, code, permanent):
    backend = AliyunBackend(client=FakeAliyun(_answer(code, "说明文字")))
    with pytest.raises(SmsFailure) as failure:
        _send(backend)
    assert failure.value.reason == f"{code}: 说明文字"
    assert failure.value.permanent is permanent


@pytest.mark.parametrize(
    ("error", "reason", "permanent"),
    [
        (ConnectionError("connection reset"), "ConnectionError: connection reset", False),
        (TimeoutError("read timed out"), "TimeoutError: read timed out", False),
        (
            ThrottlingException(code="Throttling.User", message="Request was denied due to user flow control."),
            "Throttling.User: Request was denied due to user flow control.",
            False,
        ),
        (
            ClientException(status_code=400, code="isv.MOBILE_NUMBER_ILLEGAL", message="invalid mobile"),
            "isv.MOBILE_NUMBER_ILLEGAL: invalid mobile",
            True,
        ),
        (
            ClientException(
                status_code=403, code="InvalidAccessKeyId.NotFound", message="Specified access key is not found."
            ),
            "InvalidAccessKeyId.NotFound: Specified access key is not found.",
            False,
        ),
    ],
)
def test_aliyun_sdk_and_network_errors_become_failures(aliyun, error, reason, permanent):
    with pytest.raises(SmsFailure) as failure:
        _send(AliyunBackend(client=FakeAliyun(error)))
    assert (failure.value.reason, failure.value.permanent) == (reason, permanent)


def test_aliyun_refuses_a_kind_without_a_template_for_good_in_chinese(aliyun):
    provider = FakeAliyun(_answer("OK", biz_id="1"))
    with translation.override("zh-hans"), pytest.raises(SmsFailure) as failure:
        _send(AliyunBackend(client=provider), kind="case_completed")
    assert failure.value.permanent
    assert (
        failure.value.reason
        == "未配置“case_completed”类消息的短信模板（设置项 STATIONNET_SMS_TEMPLATES），无法发送短信。"
    )
    assert provider.requests == []


class SdkClientWithFakeProvider(Client):
    """The SDK's real client, its HTTP call replaced by a fake provider answering as Alibaba Cloud's JSON does."""

    def __init__(self, answer: dict):
        super().__init__(
            Config(access_key_id="LTAI-test", access_key_secret="secret-test", endpoint="dysmsapi.aliyuncs.com")
        )
        self.answer = answer
        self.calls = []

    def call_api(self, params, request, runtime):
        self.calls.append((params, request))
        return {"headers": {}, "statusCode": 200, "body": self.answer}


def test_aliyun_through_the_sdks_own_client_builds_the_send_sms_call(aliyun):
    client = SdkClientWithFakeProvider({"Code": "OK", "Message": "OK", "BizId": "42^0", "RequestId": "R"})
    assert _send(AliyunBackend(client=client)) == "42^0"
    [(params, request)] = client.calls
    assert (params.action, params.version) == ("SendSms", "2017-05-25")
    assert request.query == {
        "PhoneNumbers": "13912340000",
        "SignName": "铁岭市质量服务站",
        "TemplateCode": "SMS_465390123",
        "TemplateParam": '{"number": "ALPHA-2026-000001", "link": "alpha.localhost/t/x"}',
    }
    client.answer = {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "R"}
    with pytest.raises(SmsFailure) as failure:
        _send(AliyunBackend(client=client))
    assert (failure.value.reason, failure.value.permanent) == ("isv.MOBILE_NUMBER_ILLEGAL: 非法手机号", True)


def test_aliyun_builds_its_client_from_the_settings(aliyun):
    client = AliyunBackend().client()
    assert isinstance(client, Client)
    assert client._endpoint == "dysmsapi.aliyuncs.com"


# --- Settings -------------------------------------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[3]


def _settings_with(**changes: str) -> subprocess.CompletedProcess:
    """Read the settings in a fresh interpreter with `changes` to the environment; prints the SMS settings."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "platform")]), **changes}
    script = (
        "from stationnet import settings as s; "
        "print(s.SMS_BACKEND, s.SMS_FILE_PATH, s.SMS_TEMPLATES, s.SMS_PER_PHONE_PER_HOUR, s.SMS_PER_PHONE_PER_DAY)"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_sms_settings_default_to_the_file_backend_under_the_var_folder(tmp_path):
    result = _settings_with(STATIONNET_VAR_DIR=str(tmp_path), STATIONNET_SMS_BACKEND="", STATIONNET_SMS_TEMPLATES="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["core.common.sms.FileBackend", str(tmp_path / "sms"), "{}", "5", "10"]


def test_the_sms_templates_are_read_as_json():
    result = _settings_with(STATIONNET_SMS_TEMPLATES='{"demand_registered": "SMS_1"}')
    assert result.returncode == 0, result.stderr
    assert "{'demand_registered': 'SMS_1'}" in result.stdout


@pytest.mark.parametrize(
    ("changes", "setting", "expected"),
    [
        ({"STATIONNET_SMS_TEMPLATES": "SMS_1"}, "STATIONNET_SMS_TEMPLATES", "a JSON object"),
        ({"STATIONNET_SMS_TEMPLATES": '["SMS_1"]'}, "STATIONNET_SMS_TEMPLATES", "a JSON object"),
        (
            {"STATIONNET_SMS_BACKEND": "core.common.sms.AliyunBackend", "STATIONNET_SMS_ALIYUN_ACCESS_KEY_ID": ""},
            "STATIONNET_SMS_ALIYUN_ACCESS_KEY_ID",
            "Alibaba Cloud",
        ),
        (
            {
                "STATIONNET_SMS_BACKEND": "core.common.sms.AliyunBackend",
                "STATIONNET_SMS_ALIYUN_ACCESS_KEY_ID": "LTAI",
                "STATIONNET_SMS_ALIYUN_ACCESS_KEY_SECRET": "s",
                "STATIONNET_SMS_SIGN_NAME": "",
            },
            "STATIONNET_SMS_SIGN_NAME",
            "Alibaba Cloud",
        ),
        ({"STATIONNET_SMS_PER_PHONE_PER_HOUR": "0"}, "STATIONNET_SMS_PER_PHONE_PER_HOUR", "1 to 10"),
        ({"STATIONNET_SMS_PER_PHONE_PER_DAY": "many"}, "STATIONNET_SMS_PER_PHONE_PER_DAY", "a whole number"),
    ],
    ids=["not-json", "not-an-object", "aliyun-without-key", "aliyun-without-signature", "no-messages", "bad-day"],
)
def test_a_bad_sms_setting_stops_start_up_with_one_line(changes, setting, expected):
    result = _settings_with(**changes)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"stationnet: setting {setting} ")
    assert expected in lines[0]

"""`{{ span|duration }}`: a length of time in words on every page that shows one (the service record's durations),
never Python's "1 day, 2:05:00"."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from core.desk.templatetags.durations import duration_text

H, M = datetime.timedelta(hours=1), datetime.timedelta(minutes=1)


def shown(span, language: str = "zh-hans") -> str:
    with translation.override(language):
        return Template('{% load durations %}{{ span|duration|default:"—" }}').render(Context({"span": span}))


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (H + 5 * M, "1 小时 5 分"),
        (M, "1 分"),
        (2 * H, "2 小时"),
        (datetime.timedelta(days=1, hours=2, minutes=5), "1 天 2 小时 5 分"),
        (datetime.timedelta(days=3, minutes=15), "3 天 15 分"),
        (datetime.timedelta(days=2), "2 天"),
        (5 * M + datetime.timedelta(seconds=59), "5 分"),  # whole minutes, rounded down
        (datetime.timedelta(seconds=20), "不到 1 分钟"),
        (datetime.timedelta(0), "0 分"),
        (-(H + 5 * M), "-1 小时 5 分"),
        (None, "—"),
    ],
)
def test_a_duration_reads_in_words(span, words):
    assert shown(span) == words


def test_english_stays_readable():
    assert shown(H + 5 * M, "en") == "1 h 5 min"
    assert shown(datetime.timedelta(days=1, hours=2), "en") == "1 day 2 h"
    assert shown(datetime.timedelta(days=2, minutes=1), "en") == "2 days 1 min"
    assert shown(datetime.timedelta(seconds=1), "en") == "under 1 min"


def test_anything_else_passes_through_and_the_function_matches_the_filter():
    assert shown("已撤销") == "已撤销"
    with translation.override("zh-hans"):
        assert duration_text(H + 5 * M) == "1 小时 5 分"
        assert duration_text(None) == ""

"""The directory's models on their own: what `full_clean` says of a code already in the directory."""

import random

import pytest
from django.core.exceptions import ValidationError

from core.directory import uscc
from core.directory.models import Enterprise

pytestmark = pytest.mark.django_db
RNG = random.Random(15)  # noqa: S311  (test data)


def test_a_duplicate_code_is_refused_in_plain_chinese_not_in_djangos_words():
    code = uscc.generate(RNG)
    Enterprise.objects.create(name="先登记的企业", uscc=code, district="yinzhou")
    with pytest.raises(ValidationError) as raised:
        Enterprise(name="后登记的企业", uscc=code, district="yinzhou").full_clean()
    [error] = raised.value.error_dict["uscc"]
    assert error.code == "unique"
    assert raised.value.message_dict["uscc"] == ["企业名录中已有使用该统一社会信用代码的企业。"]

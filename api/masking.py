"""Contact details masked in the API's lists (个人信息保护), as the pages' lists mask them (core.common.masking).

A list serializer declares its contact fields with these read-only fields (`phone = MaskedPhoneField()`): the list
answers `139****0000` and `z***@example.com`, described in the schema as plain strings; the record's own endpoint (its
detail serializer) answers them whole.
"""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.common.masking import mask_email, mask_phone


class MaskedPhoneField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", gettext_lazy("Masked (139****0000); whole on the record's own endpoint."))
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return mask_phone(value)


class MaskedEmailField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", gettext_lazy("Masked (z***@example.com); whole on the record's own endpoint."))
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return mask_email(value)

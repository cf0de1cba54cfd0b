"""Chinese first: every page is in zh-hans unless the user chose another language (the language cookie).

Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-language browser on a
station's front desk would show English; staff and enterprises expect Chinese whatever their browser says.
"""

from django.conf import settings
from django.utils import translation


class ChineseFirstLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

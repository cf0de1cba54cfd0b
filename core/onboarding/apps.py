from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "core.onboarding"
    verbose_name = _("Onboarding")

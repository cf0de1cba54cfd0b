"""The marker of the demo city's history (public schema): once a row is here, `load_demo_city` generates nothing
more, so every later start of the demo reuses what the first one generated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoHistory(models.Model):
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    seed = models.IntegerField(_("seed"))
    stations = models.JSONField(_("stations"), default=list)
    # What was generated, by kind (demands, cases, referrals, surveys, complaints, ...), as the command reports it.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"))
    # Empty while it is being generated (or when it was interrupted: what was made is kept, nothing more is added).
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    seconds = models.FloatField(_("seconds taken"), null=True, blank=True)

    class Meta:
        verbose_name = _("demo history")
        verbose_name_plural = _("demo histories")

    def __str__(self) -> str:
        return f"{self.first_day} – {self.last_day}"

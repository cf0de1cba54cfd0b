"""The bureau's city statistics, in the public schema.

- `CaseFact`: one row per service case of every station, the figures the statistics need and nothing of the
  enterprise: when the case was received and completed, its deadline, how it is served, the record's response time
  and the survey's answers. Fed by each station through the reliable outbox (`core.messaging`) whenever one of its
  cases changes, so a city-wide question is one scan of one table however many stations there are (a loop over the
  stations' schemas grows with them). `as_of` is when the station read the case: an older reading never overwrites
  a newer one.
- `ComplaintFact`: one row per complaint of every station (clause 6.5), fed the same way by the complaints' services.
- `StationDay` and `CategoryDay`: what the facts add up to per station and local day, and per service category and
  local day (`core.stats.facts.DAY_COUNTS`), kept with the facts in the same transaction. The dashboard's usual
  questions (the whole city by station, district or category) read these: a station-day row stands for every case
  event of that day, so a period costs stations × days rows however busy they were.
- `StationMonth` and `CategoryMonth`: the same counts per local month (`day` is the month's first day), kept by the
  same services in the same transaction: a period is its whole months and, at each edge, the days inside it or its
  month less the days outside, whichever is fewer (`Period.parts`), so a year costs stations × (13 + at most 30 days)
  rows, not stations × 365.
- `StationDayTimes`, `CategoryDayTimes`, `StationMonthTimes`, `CategoryMonthTimes`: how many cases completed that day
  or month had their response or completion time in each of fixed buckets (`core.stats.facts.TIME_EDGES`): a
  histogram, so the city's medians find the one bucket that holds them without sorting the period's facts.
- `CaseListAccess`: every time a bureau user looked at or exported a station's case list (the deliberate,
  logged path from the city's figures down to one station's cases).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KEEP = models.DO_NOTHING


class CaseFact(models.Model):
    station = models.ForeignKey("tenants.Station", on_delete=KEEP, related_name="+", verbose_name=_("station"))
    case_id = models.PositiveIntegerField(_("case id in the station"))
    number = models.CharField(_("number"), max_length=34)
    demand_id = models.PositiveIntegerField(_("demand id in the station"))
    first_of_demand = models.BooleanField(_("first case of its demand"), default=False)
    first_of_demand_in_category = models.BooleanField(_("first case of its demand in its category"), default=False)
    category = models.ForeignKey(
        "catalog.ServiceCategory", on_delete=KEEP, related_name="+", verbose_name=_("service category")
    )
    channel = models.CharField(_("channel"), max_length=20)
    state = models.CharField(_("state"), max_length=20)
    plan_kind = models.CharField(_("how it is served"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Appendix B's response time (from the request to the answer), in seconds.
    response_seconds = models.IntegerField(_("response time"), null=True, blank=True)
    # From received to first completed, in seconds.
    completion_seconds = models.IntegerField(_("completion time"), null=True, blank=True)
    surveyed_at = models.DateTimeField(_("surveyed at"), null=True, blank=True)
    # The survey's ratings as levels: 4 very satisfied, 3 satisfied, 2 fair, 1 dissatisfied (see `RATING_LEVELS`).
    q1 = models.PositiveSmallIntegerField(null=True, blank=True)
    q2 = models.PositiveSmallIntegerField(null=True, blank=True)
    q3 = models.PositiveSmallIntegerField(null=True, blank=True)
    q4 = models.PositiveSmallIntegerField(null=True, blank=True)
    q5 = models.BooleanField(null=True, blank=True)
    q6 = models.PositiveSmallIntegerField(null=True, blank=True)
    q7 = models.PositiveSmallIntegerField(null=True, blank=True)
    q8 = models.PositiveSmallIntegerField(null=True, blank=True)
    q9 = models.PositiveSmallIntegerField(null=True, blank=True)
    q10 = models.PositiveSmallIntegerField(null=True, blank=True)
    as_of = models.DateTimeField(_("as of"))

    class Meta:
        verbose_name = _("case fact")
        verbose_name_plural = _("case facts")
        constraints = [models.UniqueConstraint(fields=["station", "case_id"], name="stats_fact_one_per_case")]
        # One covering index per moment the statistics count at (`core.stats.selectors.PARTS`): a period's query
        # reads the index only, not the table, whose rows of one day lie all over it.
        indexes = [
            models.Index(
                name="stats_fact_received",
                fields=["received_at"],
                include=[
                    "station",
                    "category",
                    "first_of_demand",
                    "first_of_demand_in_category",
                    "plan_kind",
                    "channel",
                ],
            ),
            models.Index(
                name="stats_fact_completed",
                fields=["completed_at"],
                include=["station", "category", "due_at", "response_seconds", "completion_seconds"],
                condition=models.Q(completed_at__isnull=False),
            ),
            # Each group's completed cases in a period, for its medians (core.stats.selectors.MEDIAN_GROUPS).
            models.Index(
                name="stats_fact_station_completed",
                fields=["station", "completed_at"],
                include=["category", "response_seconds", "completion_seconds"],
                condition=models.Q(completed_at__isnull=False),
            ),
            models.Index(
                name="stats_fact_category_completed",
                fields=["category", "completed_at"],
                include=["station", "response_seconds", "completion_seconds"],
                condition=models.Q(completed_at__isnull=False),
            ),
            # A median's bucket read exactly (`core.stats.selectors`): the facts whose time lies in one bucket.
            models.Index(
                name="stats_fact_response",
                fields=["response_seconds"],
                include=["completed_at", "station", "category"],
                condition=models.Q(completed_at__isnull=False),
            ),
            models.Index(
                name="stats_fact_completion",
                fields=["completion_seconds"],
                include=["completed_at", "station", "category"],
                condition=models.Q(completed_at__isnull=False),
            ),
            models.Index(
                name="stats_fact_surveyed",
                fields=["surveyed_at"],
                include=["station", "category", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10"],
                condition=models.Q(surveyed_at__isnull=False),
            ),
        ]
        permissions = [("view_case_list", _("Can see a station's case list in the city statistics"))]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.number}"


class ComplaintFact(models.Model):
    """One complaint of a station as the city counts it (`core.stats.facts.COMPLAINT_COLUMNS`)."""

    station = models.ForeignKey("tenants.Station", on_delete=KEEP, related_name="+", verbose_name=_("station"))
    complaint_id = models.PositiveIntegerField(_("complaint id in the station"))
    received_at = models.DateTimeField(_("received at"))
    category = models.ForeignKey(
        "catalog.ServiceCategory",
        on_delete=KEEP,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service category"),
    )
    state = models.CharField(_("state"), max_length=20)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    as_of = models.DateTimeField(_("as of"))

    class Meta:
        verbose_name = _("complaint fact")
        verbose_name_plural = _("complaint facts")
        constraints = [models.UniqueConstraint(fields=["station", "complaint_id"], name="stats_complaint_one")]
        indexes = [
            models.Index(name="stats_complaint_received", fields=["received_at"], include=["station", "category"])
        ]

    def __str__(self) -> str:
        return f"{self.station_id}: complaint {self.complaint_id}"


class DayCounts(models.Model):
    """The counts of one local day (see `core.stats.facts.DAY_COUNTS` for what each counts, and at which moment)."""

    day = models.DateField(_("day"))
    demands = models.IntegerField(default=0)
    demands_in_category = models.IntegerField(default=0)
    received = models.IntegerField(default=0)
    to_institutions = models.IntegerField(default=0)
    to_stations = models.IntegerField(default=0)
    from_stations = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    surveys = models.IntegerField(default=0)
    sat_q1 = models.IntegerField(default=0)
    sat_q2 = models.IntegerField(default=0)
    sat_q3 = models.IntegerField(default=0)
    sat_q4 = models.IntegerField(default=0)
    sat_q6 = models.IntegerField(default=0)
    sat_q7 = models.IntegerField(default=0)
    sat_q8 = models.IntegerField(default=0)
    sat_q9 = models.IntegerField(default=0)
    sat_q10 = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)

    class Meta:
        abstract = True


class StationDay(DayCounts):
    station = models.ForeignKey("tenants.Station", on_delete=KEEP, related_name="+", verbose_name=_("station"))

    class Meta:
        verbose_name = _("station day")
        verbose_name_plural = _("station days")
        constraints = [models.UniqueConstraint(fields=["station", "day"], name="stats_stationday_one")]
        indexes = [models.Index(name="stats_stationday_day", fields=["day"])]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.day}"


class CategoryDay(DayCounts):
    category = models.ForeignKey(
        "catalog.ServiceCategory", on_delete=KEEP, related_name="+", verbose_name=_("service category")
    )

    class Meta:
        verbose_name = _("category day")
        verbose_name_plural = _("category days")
        constraints = [models.UniqueConstraint(fields=["category", "day"], name="stats_categoryday_one")]
        indexes = [models.Index(name="stats_categoryday_day", fields=["day"])]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.day}"


class StationMonth(DayCounts):
    station = models.ForeignKey("tenants.Station", on_delete=KEEP, related_name="+", verbose_name=_("station"))

    class Meta:
        verbose_name = _("station month")
        verbose_name_plural = _("station months")
        constraints = [models.UniqueConstraint(fields=["station", "day"], name="stats_stationmonth_one")]
        indexes = [models.Index(name="stats_stationmonth_day", fields=["day"])]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.day:%Y-%m}"


class CategoryMonth(DayCounts):
    category = models.ForeignKey(
        "catalog.ServiceCategory", on_delete=KEEP, related_name="+", verbose_name=_("service category")
    )

    class Meta:
        verbose_name = _("category month")
        verbose_name_plural = _("category months")
        constraints = [models.UniqueConstraint(fields=["category", "day"], name="stats_categorymonth_one")]
        indexes = [models.Index(name="stats_categorymonth_day", fields=["day"])]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.day:%Y-%m}"


class TimeMeasure(models.IntegerChoices):
    RESPONSE = 1, _("response time")
    COMPLETION = 2, _("completion time")


class TimeCounts(models.Model):
    """How many cases first completed on `day` (or in the month starting on it) had their `measure` in `bucket` (a
    `width_bucket` over `core.stats.facts.TIME_EDGES`)."""

    day = models.DateField(_("day"))
    measure = models.PositiveSmallIntegerField(choices=TimeMeasure.choices)
    bucket = models.SmallIntegerField()
    cases = models.IntegerField(default=0)

    class Meta:
        abstract = True


class StationDayTimes(TimeCounts):
    station = models.ForeignKey("tenants.Station", on_delete=KEEP, related_name="+", verbose_name=_("station"))

    class Meta:
        verbose_name = _("station day times")
        verbose_name_plural = _("station day times")
        constraints = [
            models.UniqueConstraint(fields=["station", "day", "measure", "bucket"], name="stats_stationdaytimes_one")
        ]
        # A period's rows, read from the index alone.
        indexes = [
            models.Index(
                name="stats_stationdaytimes_day", fields=["day"], include=["station", "measure", "bucket", "cases"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.day} {self.get_measure_display()} bucket {self.bucket}"


class CategoryDayTimes(TimeCounts):
    category = models.ForeignKey(
        "catalog.ServiceCategory", on_delete=KEEP, related_name="+", verbose_name=_("service category")
    )

    class Meta:
        verbose_name = _("category day times")
        verbose_name_plural = _("category day times")
        constraints = [
            models.UniqueConstraint(fields=["category", "day", "measure", "bucket"], name="stats_categorydaytimes_one")
        ]
        # A period's rows, read from the index alone.
        indexes = [
            models.Index(
                name="stats_categorydaytimes_day", fields=["day"], include=["category", "measure", "bucket", "cases"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.day} {self.get_measure_display()} bucket {self.bucket}"


class StationMonthTimes(TimeCounts):
    station = models.ForeignKey("tenants.Station", on_delete=KEEP, related_name="+", verbose_name=_("station"))

    class Meta:
        verbose_name = _("station month times")
        verbose_name_plural = _("station month times")
        constraints = [
            models.UniqueConstraint(fields=["station", "day", "measure", "bucket"], name="stats_stationmonthtimes_one")
        ]
        # A period's rows, read from the index alone.
        indexes = [
            models.Index(
                name="stats_stationmonthtimes_day", fields=["day"], include=["station", "measure", "bucket", "cases"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.day} {self.get_measure_display()} bucket {self.bucket}"


class CategoryMonthTimes(TimeCounts):
    category = models.ForeignKey(
        "catalog.ServiceCategory", on_delete=KEEP, related_name="+", verbose_name=_("service category")
    )

    class Meta:
        verbose_name = _("category month times")
        verbose_name_plural = _("category month times")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "day", "measure", "bucket"], name="stats_categorymonthtimes_one"
            )
        ]
        # A period's rows, read from the index alone.
        indexes = [
            models.Index(
                name="stats_categorymonthtimes_day", fields=["day"], include=["category", "measure", "bucket", "cases"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.day} {self.get_measure_display()} bucket {self.bucket}"


class CaseListAccess(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=KEEP, related_name="+", verbose_name=_("user"))
    station = models.ForeignKey("tenants.Station", on_delete=KEEP, related_name="+", verbose_name=_("station"))
    what = models.CharField(_("what"), max_length=20)
    period = models.CharField(_("period"), max_length=40, blank=True)
    path = models.CharField(_("address"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("case list access")
        verbose_name_plural = _("case list accesses")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.station_id} ({self.what})"

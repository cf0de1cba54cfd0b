"""API of the city statistics on the public host, for the bureau's own reporting tools (issue 6, clause 3).

The same figures as the console's statistics pages, from the read model (`core.stats.selectors`; what each figure
counts is said there): the city per station, district or service category with the total and the trend; one
station by service category; and a station's case list, only for the bureau roles that may see case lists
(administrators, and viewers granted `stats.view_case_list`), every call of which is logged.

Periods are `from` and `to` (local dates, both included); either left out is that end of the last 90 days.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from api.base import BureauAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.catalog.models import ServiceCategory
from core.common.periods import default_period
from core.common.replica import ReplicaReadsMixin
from core.districts import District
from core.stats import reports
from core.stats.facts import QUESTIONS
from core.stats.models import CaseFact
from core.stats.selectors import GROUPINGS, CityStatistics, city_statistics, station_case_facts
from core.stats.services import case_list_access_record
from tenants.models import Station

# Input ------------------------------------------------------------------------------------------------------------


def _validate_period(self, data):
    default_start, default_end = default_period()
    data["from"], data["to"] = data.get("from") or default_start, data.get("to") or default_end
    errors = reports.period_errors(data["from"], data["to"])
    if errors:
        raise serializers.ValidationError({"to": errors["end"]})
    return data


# `from` and `to` are Python keywords: the serializers naming them are built with type().
StatisticsPeriodInput = type(
    "StatisticsPeriodInput",
    (Serializer,),
    {
        "from": serializers.DateField(required=False),
        "to": serializers.DateField(required=False),
        "validate": _validate_period,
    },
)


class StatisticsInput(StatisticsPeriodInput):
    by = serializers.ChoiceField(choices=GROUPINGS, required=False, default="station")
    district = serializers.ChoiceField(choices=District.choices, required=False, allow_blank=True, default="")
    category = serializers.PrimaryKeyRelatedField(
        queryset=ServiceCategory.objects.all(), required=False, allow_null=True, default=None
    )


PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 90 days before today)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: today)."),
]
STATISTICS_PARAMETERS = [
    *PERIOD_PARAMETERS,
    OpenApiParameter("by", OpenApiTypes.STR, enum=list(GROUPINGS), description="Group by (default: station)."),
    OpenApiParameter("district", OpenApiTypes.STR, enum=list(District.values), description="Only this district."),
    OpenApiParameter("category", OpenApiTypes.INT, description="Only this service category (its id)."),
]


# Output -----------------------------------------------------------------------------------------------------------


class FiguresSerializer(Serializer):
    """The figures of a group, of a station or of the city (`core.stats.selectors.Figures.as_dict`). Shares are
    fractions (0.5 is 50%), null when there is nothing to divide by; medians are hours, null when none."""

    demands = serializers.IntegerField()
    received = serializers.IntegerField()
    to_institutions = serializers.IntegerField()
    to_stations = serializers.IntegerField()
    from_stations = serializers.IntegerField(
        help_text="Cases opened by accepting another station's referral: received, but no demand of their own."
    )
    completed = serializers.IntegerField()
    on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    median_response_hours = serializers.FloatField(allow_null=True)
    median_completion_hours = serializers.FloatField(allow_null=True)
    surveys = serializers.IntegerField()
    satisfaction = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Per survey question (q1–q10 but q5): the share of surveys rating it satisfied or very satisfied.",
    )
    overall_satisfaction = serializers.FloatField(allow_null=True)
    solved = serializers.IntegerField()
    solved_rate = serializers.FloatField(allow_null=True)
    complaints = serializers.IntegerField(help_text="Complaints received in the period (clause 6.5).")
    escalated = serializers.IntegerField(help_text="Of those, how many the station escalated to the bureau.")


class StatisticsStationSerializer(Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()


class StatisticsGroupSerializer(Serializer):
    """One group: a station (its id), a district (its code) or a service category (its id)."""

    key = serializers.CharField()
    label = serializers.CharField()
    station = StatisticsStationSerializer(allow_null=True)
    figures = FiguresSerializer()


class TrendPointSerializer(Serializer):
    """A day or a month (its first day): cases received and completed, surveys submitted and those rating the
    service overall satisfied or better."""

    day = serializers.DateField()
    received = serializers.IntegerField()
    completed = serializers.IntegerField()
    surveys = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    overall_satisfaction = serializers.FloatField(allow_null=True)


CityStatisticsSerializer = type(
    "CityStatisticsSerializer",
    (Serializer,),
    {
        "__doc__": "The city's figures in the period per group, the total of the groups shown, and the trend.",
        "from": serializers.DateField(source="start"),
        "to": serializers.DateField(source="end"),
        "by": serializers.ChoiceField(choices=GROUPINGS),
        "groups": StatisticsGroupSerializer(many=True),
        "total": FiguresSerializer(),
        "trend_unit": serializers.ChoiceField(choices=["day", "month"]),
        "trend": TrendPointSerializer(many=True),
    },
)


class StationStatisticsSerializer(CityStatisticsSerializer):
    """One station's figures in the period per service category, its total and its trend."""

    station = StatisticsStationSerializer()


class CaseFactSerializer(ModelSerializer):
    """A case as its station reported it to the city: no enterprise details. `survey` holds the answers as levels
    (4 very satisfied, 3 satisfied, 2 fair, 1 dissatisfied; q5: solved or not), null without a survey."""

    category = serializers.SerializerMethodField()
    on_time = serializers.SerializerMethodField()
    response_hours = serializers.SerializerMethodField()
    survey = serializers.SerializerMethodField()

    class Meta:
        model = CaseFact
        fields = [
            "case_id",
            "number",
            "category",
            "channel",
            "state",
            "plan_kind",
            "received_at",
            "due_at",
            "completed_at",
            "on_time",
            "response_hours",
            "surveyed_at",
            "survey",
        ]

    def get_category(self, fact) -> dict:
        return {"id": fact.category_id, "clause": fact.category.clause, "name": fact.category.name}

    def get_on_time(self, fact) -> bool | None:
        return reports.fact_on_time(fact)

    def get_response_hours(self, fact) -> float | None:
        return reports.fact_response_hours(fact)

    def get_survey(self, fact) -> dict | None:
        return None if fact.surveyed_at is None else {name: getattr(fact, name) for name in QUESTIONS}


def _station_data(station: Station | None) -> dict | None:
    return None if station is None else {"id": station.pk, "code": station.code, "name": station.name}


def statistics_data(statistics: CityStatistics) -> dict:
    """What `CityStatisticsSerializer` (or `StationStatisticsSerializer`, given a station) gives, built directly: the
    dashboard's answer holds a group per station, and DRF's nested serializers took longer to write 500 of them than
    the read model to count them. The serializers stay the documented schema; a test holds both to the same output."""
    data = {
        "from": statistics.start.isoformat(),
        "to": statistics.end.isoformat(),
        "by": statistics.by,
        "groups": [
            {
                "key": str(group.key),
                "label": group.label,
                "station": _station_data(group.station),
                "figures": group.figures.as_dict(),
            }
            for group in statistics.groups
        ],
        "total": statistics.total.as_dict(),
        "trend_unit": statistics.trend_unit,
        "trend": [
            {
                "day": point.day.isoformat(),
                "received": point.received,
                "completed": point.completed,
                "surveys": point.surveys,
                "satisfied": point.satisfied,
                "overall_satisfaction": point.overall_satisfaction,
            }
            for point in statistics.trend
        ],
    }
    station = getattr(statistics, "station", None)
    return data if station is None else data | {"station": _station_data(station)}


# Views ------------------------------------------------------------------------------------------------------------


def _period(request, serializer_class=StatisticsPeriodInput) -> dict:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


class CityStatisticsView(ReplicaReadsMixin, BureauAPIView):
    """The city's figures for the period, grouped `by` station, district or service category, optionally only for
    one district or one category; with the total and the trend (per day up to two months, per month beyond)."""

    @extend_schema(parameters=STATISTICS_PARAMETERS, responses=CityStatisticsSerializer)
    def get(self, request):
        chosen = _period(request, StatisticsInput)
        statistics = city_statistics(
            start=chosen["from"],
            end=chosen["to"],
            by=chosen["by"],
            district=chosen["district"],
            category=chosen["category"],
        )
        return Response(statistics_data(statistics))


class StationStatisticsView(ReplicaReadsMixin, BureauAPIView):
    """One station's figures for the period, per service category, with its total and its trend."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=StationStatisticsSerializer)
    def get(self, request, pk: int):
        station = get_object_or_404(Station.objects.all(), pk=pk)
        chosen = _period(request)
        statistics = city_statistics(start=chosen["from"], end=chosen["to"], by="category", station=station)
        statistics.station = station
        return Response(statistics_data(statistics))


class MaySeeCaseLists(BasePermission):
    """The bureau's administrators, and its viewers granted `stats.view_case_list`."""

    def has_permission(self, request, view) -> bool:
        return reports.user_may_see_case_lists(user=request.user)


class StationCaseListView(ReplicaReadsMixin, BureauAPIView):
    """A station's cases received in the period, newest first, page by page. Every call is logged (who, when,
    which station and period)."""

    permission_classes = [*BureauAPIView.permission_classes, MaySeeCaseLists]

    @paginated_schema(CaseFactSerializer, parameters=PERIOD_PARAMETERS)
    def get(self, request, pk: int):
        station = get_object_or_404(Station.objects.all(), pk=pk)
        chosen = _period(request)
        case_list_access_record(
            user=request.user,
            station=station,
            what="api",
            period=reports.period_text(chosen["from"], chosen["to"]),
            path=request.get_full_path(),
        )
        facts = station_case_facts(station=station, start=chosen["from"], end=chosen["to"])
        return paginate(self, request, facts, CaseFactSerializer)

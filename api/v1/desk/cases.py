"""Service cases through the API: the list (by view, state, category, assignee, enterprise, date received), one case,
its state transitions and the follow-up entries of its timeline. The API has no assignment endpoint of its own: a
plan's booked staff member becomes the case's assignee (`plans`).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import CaseAPIView, StationAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import Serializer
from api.v1.desk.serializers import TEXT, CaseDetailSerializer, CaseSerializer, EventSerializer, _valid
from core.desk import selectors, services


class TransitionInput(Serializer):
    to = serializers.CharField()
    reason = serializers.CharField(**TEXT)
    version = serializers.IntegerField()


class EventInput(Serializer):
    kind = serializers.CharField()
    text = serializers.CharField(**TEXT)


class CaseFilter(Serializer):
    view = serializers.ChoiceField(choices=["inbox", "mine", "due"], required=False)
    q = serializers.CharField(**TEXT)
    state = serializers.CharField(**TEXT)
    category = serializers.CharField(**TEXT)
    assignee = serializers.RegexField(r"^(me|\d+)$", required=False)
    enterprise = serializers.IntegerField(required=False)
    received_from = serializers.DateField(required=False)
    received_to = serializers.DateField(required=False)


class CaseListView(StationAPIView):
    """Cases, newest first. `assignee` is a user id or `me`; `category` a catalog clause (`5.1.6`); `view` one of the
    workspace's lists: `inbox` (new cases), `mine` (my open cases), `due` (open cases near or past their deadline,
    soonest first); `q` a number or part of the enterprise's name."""

    @paginated_schema(CaseSerializer, parameters=[OpenApiParameter(name) for name in CaseFilter().fields])
    def get(self, request):
        filters = dict(_valid(CaseFilter(data=request.query_params)))
        filters |= selectors.case_view_filters(view=filters.pop("view", ""), user=request.user)
        assignee = filters.pop("assignee", None)
        if assignee == "me":
            filters["mine_for"] = request.user
        elif assignee is not None:
            filters["assignee"] = int(assignee)
        return paginate(self, request, selectors.case_list(**filters, viewer=request.user), CaseSerializer)


class CaseDetailView(CaseAPIView):
    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request, pk: int):
        return Response(CaseDetailSerializer(self.case).data)


class CaseTransitionView(CaseAPIView):
    """Move the case to state `to`; `version` is the case's version as read (a stale one is refused)."""

    @extend_schema(request=TransitionInput, responses=CaseDetailSerializer)
    def post(self, request, pk: int):
        data = _valid(TransitionInput(data=request.data))
        services.case_transition(
            case=self.case,
            user=request.user,
            to=data["to"],
            reason=data.get("reason", ""),
            expected_version=data["version"],
        )
        return Response(CaseDetailSerializer(self.case_reload()).data)


class CaseEventView(CaseAPIView):
    """Add a follow-up entry to the timeline: a contact, a problem, its cause, feedback given, a note."""

    @extend_schema(request=EventInput, responses={201: EventSerializer})
    def post(self, request, pk: int):
        data = _valid(EventInput(data=request.data))
        event = services.case_event_add(case=self.case, user=request.user, kind=data["kind"], text=data.get("text", ""))
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

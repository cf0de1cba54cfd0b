"""The messages sent about a case or a demand, newest first (in the schema in use). The caller has reached the case
or demand through its access selector."""

from django.db.models import QuerySet

from core.deliveries.models import Delivery


def deliveries_of_case(*, case_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(case_id=case_id).order_by("-created_at", "-id")


def deliveries_of_demand(*, demand_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(demand_id=demand_id).order_by("-created_at", "-id")

"""`manage.py deliver_messages`: the operator's view of the backlog, and delivery of it at once."""

import io

from django.core.management import call_command
from django_tenants.utils import schema_context

from core.referrals.models import Referral
from tests.core.desk.builders import take_demand
from tests.core.referrals.builders import refer


def test_the_backlog_is_listed_then_delivered_at_once(city, published, enterprise):
    with schema_context(city.alpha.schema_name):
        outgoing = refer(city, take_demand(city, enterprise).cases.get())
    listed = io.StringIO()
    call_command("deliver_messages", "--backlog", stdout=listed)
    # The referral, the bureau's flow, and the city statistics' figures of the case (taken, then planned by the referral).
    assert f"{city.alpha.code}: 5 pending since" in listed.getvalue()
    assert "5 message(s) pending" in listed.getvalue()
    with schema_context(city.beta.schema_name):
        assert not Referral.objects.filter(uid=outgoing.uid).exists()

    delivered = io.StringIO()
    call_command("deliver_messages", stdout=delivered)
    assert "delivered 5 message(s)" in delivered.getvalue()
    with schema_context(city.beta.schema_name):
        assert Referral.objects.filter(uid=outgoing.uid).exists()
    after = io.StringIO()
    call_command("deliver_messages", "--backlog", stdout=after)
    assert after.getvalue().strip() == "0 message(s) pending"

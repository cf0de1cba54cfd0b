"""Supervision's write services check who calls them, whatever the view (issue 16): the station's members only (the
public's own opinions come through the open form, `opinion_submit_public`)."""

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import schema_context

from core.supervision import services
from core.supervision.models import ImprovementPlan, Opinion, OpinionState


@pytest.mark.parametrize("who", ["beta_staff", "bureau_admin", "outsider"])
def test_only_the_station_s_members_handle_its_opinions(city, who):
    user = getattr(city, who)
    with schema_context(city.alpha.schema_name):
        opinion = services.opinion_log(user=city.alpha_staff, channel="phone", kind="suggestion", text="希望延长时间")
        with pytest.raises(PermissionDenied):
            services.opinion_log(user=user, channel="phone", kind="suggestion", text="外人登记")
        with pytest.raises(PermissionDenied):
            services.opinion_classify(opinion=opinion, user=user, kind="complaint", topic="timeliness")
        with pytest.raises(PermissionDenied):
            services.opinion_answer(opinion=opinion, user=user, answer="外人答复")
        with pytest.raises(PermissionDenied):
            services.improvement_plan_create(opinion=opinion, user=user, what="外人计划", owner=None, due_on=None)
        with pytest.raises(PermissionDenied):
            services.opinion_publish(opinion=opinion, user=user, public_result="外人公开")
        with pytest.raises(PermissionDenied):
            services.opinion_unpublish(opinion=opinion, user=user)
        with pytest.raises(PermissionDenied):
            services.opinion_close(opinion=opinion, user=user)
        opinion.refresh_from_db()
        assert (opinion.state, opinion.answer, opinion.published) == (OpinionState.RECEIVED, "", False)
        assert list(Opinion.objects.values_list("text", flat=True)) == ["希望延长时间"]
        assert not ImprovementPlan.objects.exists()

"""The invitation e-mail goes through the real broker to a real Celery worker process."""

import time

import pytest

from tenants.models import Membership
from tenants.tasks import membership_invitation_send_task


@pytest.mark.django_db
def test_invitation_is_delivered_by_a_worker_through_the_broker(city, celery_worker):
    mail_dir, log = celery_worker.mail_dir, celery_worker.log
    membership_invitation_send_task.delay(membership_id=city.invitee_membership_id)

    deadline = time.monotonic() + 90
    sent = []
    while time.monotonic() < deadline and not sent:
        sent = [p for p in mail_dir.glob("*.log") if "alpha-invitee@example.test" in p.read_text(encoding="utf-8")]
        time.sleep(0.5)
    assert sent, f"no worker delivered the invitation within 90 s; worker log:\n{log.read_text()}"
    text = sent[0].read_text(encoding="utf-8")
    assert "http://alpha.localhost/accounts/invite/" in text
    assert Membership.objects.get(pk=city.invitee_membership_id).invitation_sent_at is not None

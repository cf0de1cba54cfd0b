"""A receiving station's documents travel back to the station that referred the case when the referral completes
(issue 19): each current version, copied through the shared storage into the sender's own folder (its SHA-256
checked), naming the station it came from, filed in the sender's archive, and never copied twice."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import schema_context

from core.archive.models import ArchiveEntry
from core.desk.models import CaseEvent
from core.documents import selectors, services
from core.documents.models import Document
from core.referrals import services as referral_services
from core.referrals.models import ReferralState
from tenants.selectors import MESSAGES
from tests.core.documents.builders import PDF, PNG, report, upload
from tests.core.referrals.builders import copy_in, deliver_all, finish, referred_case, serve


@pytest.fixture
def referred(city, published, media, enterprise):
    """alpha's case referred to beta, accepted and served by beta (beta's copy, with its case)."""
    case, outgoing, incoming = referred_case(city, enterprise)
    with schema_context(city.beta.schema_name):
        accepted = referral_services.referral_transition(
            referral=incoming, user=city.beta_staff, to=ReferralState.ACCEPTED
        )
        serve(city, accepted.case)
    deliver_all(city)
    return case, outgoing, copy_in(city.beta.schema_name, incoming)


@pytest.mark.clause("5.1.7.4")
def test_the_receivers_documents_come_back_when_the_referral_completes(city, referred):
    case, outgoing, incoming = referred
    with schema_context(city.beta.schema_name):
        theirs = incoming.case
        first = report(city, theirs, user=city.beta_staff, title="压力表检定证书", kind="certificate")
        current = services.document_replace(
            user=city.beta_staff, document=first, file=upload("证书v2.pdf", PDF + b"\n")
        )
        current = services.document_release(user=city.beta_head, document=current)
        photo = report(city, theirs, user=city.beta_staff, title="现场照片", kind="photo", name="现场.png", content=PNG)
        finish(city, theirs)
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        copies = {d.origin_uid: d for d in Document.objects.filter(case=case)}
        assert set(copies) == {current.uid, photo.uid}  # the current versions only
        certificate = copies[current.uid]
        assert certificate.origin_station_name == city.beta.name
        assert certificate.file.name.startswith("documents/alpha/") and certificate.file.name != current.file.name
        assert certificate.file.read() == PDF + b"\n"
        certificate.file.close()
        assert certificate.sha256 == hashlib.sha256(PDF + b"\n").hexdigest()
        assert (certificate.kind, certificate.title, certificate.version) == ("certificate", "压力表检定证书", 1)
        assert certificate.uploaded_by is None and certificate.uploaded_by_name == city.beta_staff.display_name
        # Released at beta: the enterprise sees it on its demand at alpha, where it brought the demand.
        assert (certificate.released_at, certificate.released_by_name) == (
            current.released_at,
            city.beta_head.display_name,
        )
        assert selectors.documents_released(demand=case.demand) == [certificate]
        # Numbered into alpha's archive of the enterprise, and on the case's timeline.
        for copy in copies.values():
            assert ArchiveEntry.objects.filter(source="documents.document", object_id=copy.pk).exists()
        assert CaseEvent.objects.filter(case=case, text=f"取回来自{city.beta.name}的文件：现场照片").exists()
        assert copy_in(city.alpha.schema_name, outgoing).state == ReferralState.COMPLETED
        # A message applied again copies nothing twice.
        items = [{"uid": str(current.uid), "file": current.file.name, "sha256": current.sha256, "size": current.size}]
        assert services.documents_receive(case=case, items=items, station_name=city.beta.name) == 0
        assert Document.objects.filter(case=case).count() == 2


def test_a_file_that_changed_on_the_way_is_left_out_and_said_on_the_timeline(city, referred):
    case, _outgoing, incoming = referred
    with schema_context(city.beta.schema_name):
        theirs = report(city, incoming.case, user=city.beta_staff)
    item = {
        "uid": str(theirs.uid),
        "kind": "report",
        "title": "压力表检定报告",
        "original_name": "报告.pdf",
        "file": theirs.file.name,
        "size": theirs.size,
        "sha256": "0" * 64,
        "uploaded_at": theirs.uploaded_at.isoformat(),
        "uploaded_by_name": "开原员工",
        "released_at": None,
        "released_by_name": "",
    }
    with schema_context(city.alpha.schema_name):
        assert services.documents_receive(case=case, items=[item], station_name=city.beta.name) == 0
        assert (
            services.documents_receive(
                case=case, items=[item | {"file": "evaluation/alpha/x.pdf"}], station_name=city.beta.name
            )
            == 0
        )
        assert not Document.objects.filter(case=case).exists()
        assert CaseEvent.objects.filter(case=case, text__contains="未能取回").count() == 2
        assert (
            services.documents_receive(
                case=case, items=[item | {"sha256": theirs.sha256}], station_name=city.beta.name, actor=MESSAGES
            )
            == 1
        )
        with pytest.raises(PermissionDenied):
            services.documents_receive(case=case, items=[], station_name="x", actor=city.beta_staff)


def test_a_case_without_documents_completes_as_before(city, referred):
    case, outgoing, incoming = referred
    with schema_context(city.beta.schema_name):
        finish(city, incoming.case)
    deliver_all(city)
    assert copy_in(city.alpha.schema_name, outgoing).state == ReferralState.COMPLETED
    with schema_context(city.alpha.schema_name):
        assert not Document.objects.filter(case=case).exists()

"""The complainant's tracking page of a complaint (`/track/complaint/<token>/` on a station host, clause 6.5).

Open to the public like the demand's tracking page (`/track/` is in `tenants.middleware.OPEN_STATION_PATHS`), it
shows only the complaint its signed token names, resolved by `core.complaints.tracking.complaint_tracking_verify`
before anything else: its reference number, its state in the complainant's words, its deadlines, the station's
response once given and its escalation to the bureau. Never the staff's names, notes or timeline, never another
complaint. Every link that is not right gets the demand tracking's plain 404 page.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from core.complaints import tracking
from core.complaints.models import ComplaintState
from tenants.hosts import is_public_request


@method_decorator(never_cache, name="dispatch")
class ComplaintTrackingView(View):
    """Resolves the token before any handler (a wrong link gets the same 404 page whatever the method)."""

    def dispatch(self, request, *args, token: str, **kwargs):
        if is_public_request(request):
            raise Http404
        try:
            self.complaint = tracking.complaint_tracking_verify(token=token)
        except tracking.ComplaintTrackingInvalid:
            return render(request, "portal/tracking_invalid.html", {"station": request.tenant}, status=404)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        complaint = self.complaint
        responded = complaint.state in (ComplaintState.RESPONDED, ComplaintState.CLOSED)
        context = {"station": request.tenant, "complaint": complaint, "responded": responded}
        return render(request, "portal/complaint_tracking.html", context)

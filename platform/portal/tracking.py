"""The enterprise's tracking page (`/track/<token>/` on a station host) and the portal's "find my demand"
(`/track/` on the public host).

Like the survey link, the tracking page is open to the public (`tenants.middleware.OPEN_STATION_PATHS`) and shows
only what its signed token names, resolved by `core.desk.services.tracking_verify` before any handler: one demand of
this station, its cases in plain words, and the documents released to the enterprise. Every link that is not right
(tampered with, revoked, renewed since, past the archive's retention, another station's) gets the same plain page.
"""

from django import forms
from django.core.cache import cache
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from core.common.cache import CACHE_ERRORS, cache_failed
from core.common.forms import Form
from core.desk import selectors as desk_selectors
from core.desk import services as desk_services
from core.documents.selectors import documents_released
from tenants.hosts import client_address, is_public_request

LOOKUP_LIMIT = 10  # attempts per address in LOOKUP_WINDOW seconds: enough for typos, too few to guess digits
LOOKUP_WINDOW = 15 * 60


@method_decorator(never_cache, name="dispatch")
class TrackingLinkView(View):
    """Resolves the token before any handler: `self.demand`, in this station."""

    def dispatch(self, request, *args, token: str, **kwargs):
        if is_public_request(request):
            raise Http404
        try:
            self.demand = desk_services.tracking_verify(token=token)
        except desk_services.TrackingLinkInvalid:
            return render(request, "portal/tracking_invalid.html", {"station": request.tenant}, status=404)
        self.token = token
        return super().dispatch(request, *args, **kwargs)


class TrackingView(TrackingLinkView):
    def get(self, request):
        station = request.tenant
        cases = desk_selectors.tracking_cases(demand=self.demand, station=station)
        rows = []
        for tracked in cases:
            link = desk_services.survey_link_url(case=tracked.case, station=station) if tracked.rate else ""
            rows.append({**tracked.__dict__, "survey_link": link})
        context = {
            "station": station,
            "demand": self.demand,
            "cases": rows,
            "documents": documents_released(demand=self.demand),
            "token": self.token,
        }
        return render(request, "portal/tracking.html", context)


class TrackingDocumentView(TrackingLinkView):
    """A document released to the enterprise, downloaded through its tracking link (nothing else is reachable)."""

    def get(self, request, uid):
        document = next((d for d in documents_released(demand=self.demand) if str(d.uid) == str(uid)), None)
        if document is None:
            raise Http404
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name)


class TrackingLookupForm(Form):
    number = forms.CharField(label=_("Demand number"), max_length=40)
    phone_last4 = forms.CharField(label=_("Last four digits of the contact phone"), max_length=8)

    def clean_phone_last4(self):
        value = self.cleaned_data["phone_last4"].strip()
        if not (len(value) == 4 and value.isdigit()):
            raise forms.ValidationError(_("Enter the last four digits of the phone, e.g. 5678."), code="invalid")
        return value


class TrackingLookupView(View):
    """The portal's "find my demand": a demand's number and the last four digits of its contact phone lead to its
    tracking page. Rate-limited per address; every miss answers alike."""

    template_name = "portal/tracking_lookup.html"

    def get(self, request):
        return render(request, self.template_name, {"form": TrackingLookupForm()})

    def post(self, request):
        form = TrackingLookupForm(request.POST)
        key = f"tracking-lookup:{client_address(request)}"
        try:
            cache.add(key, 0, LOOKUP_WINDOW)
            attempts = cache.incr(key)
        except CACHE_ERRORS:
            cache_failed("the tracking lookup's attempt limit")
            attempts = 0
        if attempts > LOOKUP_LIMIT:
            form.is_valid()
            form.add_error(None, _("Too many attempts from this address: please wait 15 minutes, or call the station."))
            return render(request, self.template_name, {"form": form}, status=429)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        url = desk_services.tracking_lookup(**form.cleaned_data)
        if url is None:
            return render(request, self.template_name, {"form": form, "not_found": True}, status=404)
        return redirect(url)

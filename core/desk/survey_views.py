"""The enterprise's satisfaction survey (clause 5.2.4, Appendix B), answered on a phone through the signed link it was
e-mailed when its case was completed, without an account.

This is the one page of a station host open to the public (`tenants.middleware.OPEN_STATION_PATHS`), so it is not a
`StationPage`: everything it shows or does goes through the token verifier (`services.survey_link_verify`) and the
services. Without a valid token of this station it answers 404 and shows nothing; an old link gets a page saying so,
with the station's service phone; a link already answered gets a page saying that, never an error.

The form is exempt from Django's CSRF check on purpose: that check protects what a browser's cookies authorise, and
nothing here is authorised by a cookie (the view never reads the session or the user) but by the signed token in the
link itself, which a forging site cannot know. The check only refused real answers: browsers that send no Origin or
Referer (or "Origin: null") lost the enterprise's ten answers. The page's referrer policy is "same-origin", so the
token never leaves the station's host in a Referer, and the page keeps the answers in the browser until the thanks
page is shown.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from core.desk import services
from core.desk.forms import SurveyForm
from core.desk.models import CaseState, ServiceCase, Survey, SurveyChannel
from tenants.hosts import is_public_request


@method_decorator(never_cache, name="dispatch")
class SurveyLinkView(View):
    """Resolves the token before any handler: `self.case` is the case it names, in this station."""

    def dispatch(self, request, *args, token: str, **kwargs):
        if is_public_request(request):
            raise Http404
        try:
            self.case = services.survey_link_verify(token=token)
        except ServiceCase.DoesNotExist:
            raise Http404 from None
        except services.SurveyLinkExpired as error:
            return self.page(request, "desk/survey_expired.html", status=410, message=error.messages[0])
        self.token = token
        return super().dispatch(request, *args, **kwargs)

    def page(self, request, template: str, status: int = 200, **context):
        return render(request, template, {"station": request.tenant, **context}, status=status)

    def answered(self, request, status: int = 200):
        """The page of a link that has done its work: rated already (or closed without a rating)."""
        survey = Survey.objects.filter(case=self.case).first()
        return self.page(request, "desk/survey_answered.html", status=status, case=self.case, survey=survey)

    def ratable(self) -> bool:
        return self.case.state == CaseState.COMPLETED and not Survey.objects.filter(case=self.case).exists()


@method_decorator(csrf_exempt, name="dispatch")
class SurveyView(SurveyLinkView):
    template_name = "desk/survey.html"

    def get(self, request):
        if not self.ratable():
            return self.answered(request)
        return self.form_page(request, SurveyForm())

    def post(self, request):
        if not self.ratable():
            return self.answered(request, status=409)
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                services.survey_submit(case=self.case, channel=SurveyChannel.LINK, **form.cleaned_data)
            except ValidationError as error:
                self.case.refresh_from_db()
                if not self.ratable():  # answered meanwhile, from another phone or on paper
                    return self.answered(request, status=409)
                for field, messages in error.message_dict.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return redirect("survey:thanks", token=self.token)
        return self.form_page(request, form, status=400)

    def form_page(self, request, form: SurveyForm, status: int = 200):
        record = getattr(self.case, "record", None)
        return self.page(request, self.template_name, status=status, form=form, case=self.case, record=record)


class SurveyThanksView(SurveyLinkView):
    def get(self, request):
        survey = Survey.objects.filter(case=self.case).first()
        if survey is None:
            return redirect("survey:form", token=self.token)
        return self.page(request, "desk/survey_thanks.html", case=self.case, survey=survey)

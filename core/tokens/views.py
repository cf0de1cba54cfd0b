"""Pages of API tokens: "my API tokens" (`/accounts/tokens/`, on the public host and on a station host) and the
security administrator's list of everyone's (`/console/tokens/`).

`/accounts/` is open to non-members on a station host, so `OwnAccountPage` itself asks for a signed-in user and, on a
station host, a member of that station. A new token's secret is shown on the answer to the POST that made it and
nowhere else (the answer is not cached); only its digest is kept."""

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import TemplateView

from core.common.forms import Form, errors_onto
from core.common.pagination import CappedPaginator
from core.tokens.selectors import api_token_access, api_token_list_all, api_token_list_mine
from core.tokens.services import api_token_create, api_token_revoke
from tenants.hosts import is_public_request
from tenants.models import BureauRole
from tenants.pages import BureauPage
from tenants.selectors import membership_get


class TokenCreateForm(Form):
    name = forms.CharField(
        label=pgettext_lazy("token", "Name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("What the token is for, e.g. the program that uses it."),
    )
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1, initial=90)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].max_value = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].initial = settings.API_TOKEN_DEFAULT_DAYS
        self.fields["days"].widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS


class OwnAccountPage(AccessMixin, TemplateView):
    """A page about the signed-in person's own account, on both kinds of host: signed in, and on a station host a
    member of that station (the access middleware lets `/accounts/` through for everyone)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_public_request(request):
            membership = getattr(request, "membership", None) or membership_get(
                user=request.user, station=request.tenant
            )
            if membership is None:
                raise PermissionDenied(_("You are not a member of this station."))
        return super().dispatch(request, *args, **kwargs)


class MyTokensPage(OwnAccountPage):
    template_name = "accounts/tokens.html"

    def get_context_data(self, form=None, secret=None, created=None, **kwargs):
        return super().get_context_data(
            **kwargs,
            tokens=api_token_list_mine(user=self.request.user),
            form=form or TokenCreateForm(),
            secret=secret,
            created=created,
        )

    def post(self, request, *args, **kwargs):
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                token, secret = api_token_create(
                    actor=request.user,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    days=form.cleaned_data["days"],
                    request=request,
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                response = self.render_to_response(self.get_context_data(secret=secret, created=token))
                add_never_cache_headers(response)
                return response
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MyTokenRevokeAction(OwnAccountPage):
    """POST: revoke one of the signed-in person's tokens."""

    http_method_names = ["post"]

    def post(self, request, pk):
        token = api_token_access(pk=pk, user=request.user)
        try:
            api_token_revoke(actor=request.user, token=token, request=request)
        except ValidationError as error:
            flash.error(request, " ".join(error.messages))
        else:
            flash.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
        return HttpResponseRedirect(reverse("tokens:mine"))


class TokenConsolePage(BureauPage):
    """Every person's API tokens for the security administrator (安全管理员), with their state; POST revokes one."""

    template_name = "accounts/tokens_console.html"
    bureau_roles = (BureauRole.SECURITY,)

    def get_context_data(self, **kwargs):
        username = self.request.GET.get("user", "").strip()[:150]
        page = CappedPaginator(api_token_list_all(username=username), 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(**kwargs, page=page, username=username, query=f"user={username}")

    def post(self, request, *args, **kwargs):
        try:
            pk = int(request.POST.get("token", ""))
        except ValueError:
            pk = 0
        token = api_token_access(pk=pk, user=request.user)
        try:
            api_token_revoke(actor=request.user, token=token, request=request)
        except ValidationError as error:
            flash.error(request, " ".join(error.messages))
        else:
            flash.success(
                request,
                _("The token %(prefix)s… of %(user)s is revoked.")
                % {"prefix": token.prefix, "user": token.user.username},
            )
        return HttpResponseRedirect(request.get_full_path())

"""Accounts in the bureau console: the security administrator's page of bureau users, roles, closed accounts and
lockouts; and the head handover of a station (bureau administrators and the security administrator). Every write goes
through `core.accounts.services`, which checks the role again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from core.accounts import selectors, services
from core.accounts.forms import BureauRoleForm, BureauUserInviteForm, HeadHandoverForm, LockoutLiftForm
from core.common.forms import errors_onto
from tenants.models import BureauRole, MemberRole, User
from tenants.pages import BureauPage
from tenants.selectors import station_list


class BureauUsersPage(BureauPage):
    """Bureau users and their roles, any account found by name or e-mail (to close it), and the lockouts."""

    template_name = "console/users.html"
    bureau_roles = (BureauRole.SECURITY,)

    def get_context_data(self, invite_form=None, lift_form=None, **kwargs):
        query = self.request.GET.get("q", "").strip()
        found = []
        if query:
            found = User.objects.filter(
                Q(username__icontains=query) | Q(full_name__icontains=query) | Q(email__icontains=query)
            ).order_by("username")[:50]
        lockouts = [(attempt, selectors.lockout_until(attempt)) for attempt in selectors.lockout_list()]
        return super().get_context_data(
            **kwargs,
            tab="users",
            users=selectors.bureau_user_list(),
            query=query,
            found=found,
            lockouts=lockouts,
            invite_form=invite_form or BureauUserInviteForm(),
            lift_form=lift_form or LockoutLiftForm(),
            role_choices=BureauRoleForm.base_fields["bureau_role"].choices,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action == "invite":
            form = BureauUserInviteForm(request.POST)
            if form.is_valid():
                try:
                    user = services.bureau_user_invite(actor=request.user, request=request, **form.cleaned_data)
                except ValidationError as error:
                    errors_onto(form, error)
                else:
                    messages.success(
                        request,
                        _("%(name)s is now %(role)s.")
                        % {"name": user.display_name, "role": user.get_bureau_role_display()},
                    )
                    return redirect("console:users")
            return self.render_to_response(self.get_context_data(invite_form=form), status=400)
        if action == "unlock":
            form = LockoutLiftForm(request.POST)
            if form.is_valid():
                try:
                    services.lockout_lift(actor=request.user, request=request, **form.cleaned_data)
                except ValidationError as error:
                    errors_onto(form, error)
                else:
                    messages.success(request, _("The lockout is lifted."))
                    return redirect("console:users")
            return self.render_to_response(self.get_context_data(lift_form=form), status=400)
        user = self._user(request.POST.get("user", ""))
        try:
            if action == "role":
                form = BureauRoleForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(form.errors.get("bureau_role") or _("Choose the bureau role."))
                services.user_bureau_role_set(
                    actor=request.user, user=user, bureau_role=form.cleaned_data["bureau_role"], request=request
                )
            elif action == "deactivate":
                services.user_deactivate(actor=request.user, user=user, request=request)
            elif action == "reactivate":
                services.user_reactivate(actor=request.user, user=user, request=request)
            else:
                raise Http404
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved: %(name)s.") % {"name": user.display_name})
        return redirect("console:users")

    @staticmethod
    def _user(pk: str) -> User:
        if not pk.isdigit():
            raise Http404
        return get_object_or_404(User, pk=pk)


class StationHeadHandoverPage(BureauPage):
    """Hand a station's head role to a member, another account or a new person; the head before becomes staff or is
    deactivated."""

    template_name = "console/head_handover.html"
    bureau_roles = (BureauRole.ADMIN, BureauRole.SECURITY)

    def get_station(self):
        return get_object_or_404(station_list(), pk=self.kwargs["pk"])

    def get_context_data(self, form=None, **kwargs):
        subject = self.get_station()
        head = subject.memberships.filter(role=MemberRole.HEAD, is_active=True).select_related("user").first()
        return super().get_context_data(
            **kwargs, tab="stations", subject=subject, head=head, form=form or HeadHandoverForm()
        )

    def post(self, request, *args, **kwargs):
        subject = self.get_station()
        form = HeadHandoverForm(request.POST)
        if form.is_valid():
            try:
                membership = services.station_head_handover(
                    actor=request.user, station=subject, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s is now the head of %(station)s.")
                    % {"name": membership.user.display_name, "station": subject.name},
                )
                return redirect("console:station", pk=subject.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)

"""The station's members, for its head: invite a staff member, deactivate or bring back a member, and the open work of
former members to hand to someone else. Every member reads the list; only the head changes it (the services check it
again). A page that joins accounts with the desk's cases, so it lives above both."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core.accounts.forms import MemberInviteForm
from core.accounts.selectors import member_list
from core.accounts.services import member_invite, membership_deactivate, membership_reactivate
from core.common.forms import errors_onto
from core.desk.selectors import case_list_to_reassign
from tenants.models import MemberRole, Membership
from tenants.pages import StationPage


class StationMembersPage(StationPage):
    template_name = "workspace/members.html"
    write_roles = (MemberRole.HEAD,)

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(
            **kwargs,
            memberships=member_list(station=self.station),
            to_reassign=case_list_to_reassign() if self.is_head else [],
            form=form or (MemberInviteForm() if self.is_head else None),
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "invite")
        if action == "invite":
            form = MemberInviteForm(request.POST)
            if form.is_valid():
                try:
                    membership = member_invite(
                        actor=request.user, station=self.station, request=request, **form.cleaned_data
                    )
                except ValidationError as error:
                    errors_onto(form, error)
                else:
                    messages.success(
                        request,
                        _("%(name)s is added to the station; the invitation is e-mailed to %(email)s.")
                        % {"name": membership.user.display_name, "email": membership.user.email},
                    )
                    return redirect("station_members")
            return self.render_to_response(self.get_context_data(form=form), status=400)
        membership = self._membership(request.POST.get("membership", ""))
        service = {"deactivate": membership_deactivate, "reactivate": membership_reactivate}.get(action)
        if service is None:
            raise Http404
        try:
            service(actor=request.user, membership=membership, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            done = (
                _("%(name)s is deactivated: their sessions here have ended.")
                if action == "deactivate"
                else _("%(name)s is a member again.")
            )
            messages.success(request, done % {"name": membership.user.display_name})
        return redirect("station_members")

    def _membership(self, pk: str) -> Membership:
        membership = (
            Membership.objects.filter(pk=pk, station=self.station).select_related("user").first()
            if pk.isdigit()
            else None
        )
        if membership is None:
            raise Http404
        return membership

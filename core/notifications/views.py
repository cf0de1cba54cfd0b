"""One's own notifications (the list, marking read) and channel preferences, on either kind of host. Every write goes
through `core.notifications.services`."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.common.forms import errors_onto
from core.common.pagination import CappedPaginator
from core.common.sms import mobile_number
from core.notifications import selectors, services
from core.notifications.forms import PreferencesForm, field_name
from core.notifications.kinds import KINDS
from tenants.pages import AccountPage

PAGE_SIZE = 30


class NotificationListPage(AccountPage):
    template_name = "notifications/list.html"

    def get_context_data(self, **kwargs):
        unread = self.request.GET.get("show") == "unread"
        notifications = selectors.notification_list(user=self.request.user, unread=unread)
        page = CappedPaginator(notifications, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            "unread_only": unread,
            "query": "show=unread" if unread else "",
        }


class NotificationReadAction(AccountPage):
    """POST: mark the notification read and go to what it is about."""

    http_method_names = ["post"]

    def post(self, request, pk):
        notification = selectors.notification_access(pk=pk, user=request.user)
        services.notification_read(user=request.user, notification=notification)
        return redirect(notification.url)


class NotificationReadAllAction(AccountPage):
    http_method_names = ["post"]

    def post(self, request):
        count = services.notifications_read_all(user=request.user)
        if count:
            message = ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count) % {
                "count": count
            }
            messages.success(request, message)
        return redirect("notifications:list")


class PreferencesPage(AccountPage):
    template_name = "notifications/preferences.html"

    def _page(self, form: PreferencesForm, status: int = 200):
        rows = [
            {"label": kind.label, "email": form[field_name(code, "email")], "sms": form[field_name(code, "sms")]}
            for code, kind in KINDS.items()
        ]
        has_mobile = bool(mobile_number(self.request.user.phone))
        return self.render_to_response(
            self.get_context_data(form=form, rows=rows, has_mobile=has_mobile), status=status
        )

    def get(self, request, *args, **kwargs):
        initial = {}
        for row in selectors.notification_preferences(user=request.user):
            initial[field_name(row.kind, "email")] = row.email
            initial[field_name(row.kind, "sms")] = row.sms
        return self._page(PreferencesForm(initial=initial))

    def post(self, request, *args, **kwargs):
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                services.notification_preferences_save(user=request.user, choices=form.choices())
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, _("Your notification settings are saved."))
                return redirect("notifications:preferences")
        return self._page(form, status=400)

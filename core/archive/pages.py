"""The base of the station pages that show an enterprise's information (clause 7.3): every successful GET is logged.

`tenants.pages.StationPage` knows no domain app (the layer contracts), so the pages of a demand, a case and the
printed forms inherit `LoggedLookPage`, a `StationPage` that, once the page is made, logs what its context showed
(`looks`) through the one service, `core.archive.services.enterprise_access_log`. A page says what it showed by
`look_action` and `looks(context)`; nothing else to do. A refused page (403, 404: a confidential case another member
may not see) logs nothing, and neither does a POST (a write, in the activity log) nor a failed PDF (503).
"""

from core.archive.looks import Look
from core.archive.models import AccessChannel
from core.archive.services import enterprise_access_log
from tenants.pages import StationPage


class LoggedLookPage(StationPage):
    look_action: str = ""  # AccessAction of a GET of this page

    def looks(self, context: dict) -> list[Look]:
        """What of the enterprises' information the page shows, from its context."""
        raise NotImplementedError(f"{type(self).__name__} shows an enterprise's information: say what (looks)")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.method == "GET":
            self.looked = self.looks(context)
        return context

    def dispatch(self, request, *args, **kwargs):
        self.looked: list[Look] = []
        response = super().dispatch(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and self.looked:
            enterprise_access_log(
                user=request.user,
                looks=self.looked,
                action=self.look_action,
                channel=AccessChannel.PAGE,
                detail=request.get_full_path(),
            )
        return response

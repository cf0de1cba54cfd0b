"""The bureau console on the public host (市场监督管理局): every station, for bureau roles only."""

from tenants.pages import BureauPage
from tenants.selectors import station_list


class ConsoleHomeView(BureauPage):
    template_name = "console/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, stations=station_list())

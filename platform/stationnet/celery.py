"""The one Celery app, configured from Django settings (``CELERY_*``).

tenant-schemas-celery's app stamps every task with the schema it was sent from and switches the worker's database
connection to that schema before the task runs, so a task sent from a station runs inside that station.
"""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")

app = CeleryApp("stationnet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

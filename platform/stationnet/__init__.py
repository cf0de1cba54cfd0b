"""StationNet's Django project wiring: settings, URL confs, the Celery app, WSGI/ASGI."""

from stationnet.celery import app as celery_app

__all__ = ["celery_app"]

# syntax=docker/dockerfile:1
# StationNet image: one image for web (gunicorn, default CMD), Celery worker, Celery beat and the migrate Job.
# Build:  docker build -t registry.example.gov.cn/stationnet/stationnet:0.1.0 .

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install .


FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=stationnet.settings

RUN groupadd --system --gid 10001 stationnet \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/stationnet \
       --shell /usr/sbin/nologin stationnet \
    && mkdir -p /app /var/lib/celerybeat \
    && chown stationnet:stationnet /var/lib/celerybeat

COPY --from=build /opt/venv /opt/venv
WORKDIR /app

# Static files are collected into the image (served by WhiteNoise). Settings refuse to load without these
# variables, so give them throwaway values that exist only for this one command and are not kept in the image.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    CELERY_BROKER_URL=redis://localhost:6379/0 \
    django-admin collectstatic --noinput

# Numeric UID so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "stationnet.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

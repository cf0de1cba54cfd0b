# syntax=docker/dockerfile:1
# StationNet image: one image for web (gunicorn, the default CMD), the Celery worker, Celery beat and the migrate
# Job (see k8s/). Build:  docker build -t registry.example.gov.cn/stationnet/stationnet:0.1.0 .
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=stationnet.settings

# Debian's headless Chromium prints the standard's forms to PDF (core.desk.printing), with the Noto CJK fonts for
# their Chinese text; pg_dump (postgresql-client, 15 in bookworm like the server) dumps the station template's DDL that
# spare schemas are replayed from (tenants.spare_schemas).
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-noto-cjk postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 stationnet \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/stationnet \
       --shell /usr/sbin/nologin stationnet \
    && mkdir -p /var/lib/celerybeat \
    && chown stationnet:stationnet /var/lib/celerybeat \
    && python -m venv /opt/venv

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so this layer is rebuilt only when they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
       > /tmp/requirements.txt \
    && pip install --upgrade pip \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself. The settings find frontend_templates/, locale/ and var/ relative to the source tree
# (REPO_ROOT), so the package is installed from /app in editable mode: `stationnet` imports from
# /app/platform/stationnet, and REPO_ROOT is /app. A plain `pip install .` would copy the packages into
# site-packages, away from those folders.
COPY . .
RUN pip install --no-deps --editable . \
    && python -m compileall -q /app

# Static files are collected into the image (/app/var/static, served by WhiteNoise). The settings refuse to load
# without these variables, so give them throwaway values that exist only for this one command and are not kept in
# the image. Nothing connects to the database or the broker.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
    django-admin collectstatic --noinput

# A numeric UID, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8000
# The timeouts as in k8s/base/deployment-web.yaml: above the slowest page (a PDF, STATIONNET_PDF_TIMEOUT), below the
# Ingress's read timeout.
CMD ["gunicorn", "stationnet.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "90", "--graceful-timeout", "90", "--access-logfile", "-"]

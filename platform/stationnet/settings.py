"""Django settings for StationNet, read from the environment (twelve-factor).

Every setting an operator may change is an environment variable; ``docs/operations.md`` lists them. A missing or
malformed one stops start-up with one line naming it (see ``stationnet.env``).
"""

import datetime
import json
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy

from stationnet import env
from stationnet.database_url import database_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env.text("STATIONNET_VAR_DIR", str(REPO_ROOT / "var")))

# The demo (``make demo``) may run without a configured secret; everything else must be given one.
DEMO = env.flag("STATIONNET_DEMO")
DEBUG = env.flag("DJANGO_DEBUG")
SECRET_KEY = env.text(
    "DJANGO_SECRET_KEY",
    "demo-only-secret-key-never-used-in-production" if DEMO else None,
    expected="a long random string (generate one with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`)",
)

# Hosts: the public host is the base domain; every station is <code>.<base domain>.
BASE_DOMAIN = env.text("STATIONNET_BASE_DOMAIN", "localhost").lower()
URL_SCHEME = env.text("STATIONNET_URL_SCHEME", "http" if DEMO else "https")
if URL_SCHEME not in {"http", "https"}:
    raise env.fail("STATIONNET_URL_SCHEME", f"is {URL_SCHEME!r}", "http or https")
URL_PORT = env.integer("STATIONNET_URL_PORT", 0)
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}"]

DATABASE_URL = env.url(
    "DATABASE_URL",
    schemes=("postgres", "postgresql"),
    example="postgres://postgres@127.0.0.1:5432/stationnet",
)
DATABASES = {"default": database_settings(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# An optional read-only replica (a streaming standby): the read models (city statistics, referral matrix, open data)
# are read there inside the views marked for it, unless it is down or more than DATABASE_REPLICA_MAX_LAG seconds
# behind (core.common.replica). Empty: everything reads the primary.
DATABASE_REPLICA_URL = env.text("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    env.url("DATABASE_REPLICA_URL", schemes=("postgres", "postgresql"), example="postgres://postgres@replica:5432/x")
    # Several standbys may be named (libpq multi-host, e.g. ?target_session_attrs=prefer-standby).
    DATABASES["replica"] = database_settings(DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True)
    DATABASES["replica"]["ENGINE"] = "django_tenants.postgresql_backend"
    # A replica that does not answer costs a request a second (unless the URL says otherwise), once per check window.
    if "connect_timeout=" not in DATABASE_REPLICA_URL:
        DATABASES["replica"]["OPTIONS"]["connect_timeout"] = 1
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_REPLICA_MAX_LAG = env.integer("DATABASE_REPLICA_MAX_LAG", 5)
# The apps and models ("app_label" or "app_label.model") read from the replica in marked views.
DATABASE_REPLICA_MODELS = [
    "stats",
    "network",
    "tenants.station",
    "tenants.stationpublication",
    "evaluation.publicationobjection",
    "evaluation.publicationoutcome",
]
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter", "core.common.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Tenancy -------------------------------------------------------------------------------------------------------
# Apps in the public schema (shared by every station) and apps in each station's own schema. See
# docs/architecture.md for why each app is where it is.
SHARED_APPS = [
    # `tenants` comes first so that its `migrate`/`migrate_schemas` (which also migrate the template) win.
    "tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django.contrib.postgres",
    "core.catalog",
    "core.directory",
    "core.jobs",
    # Onboarding queued as a job when no spare schema waits (no schema is made in a web request).
    "core.onboarding",
    "core.messaging",
    "core.network",
    "core.evaluation",
    "core.stats",
    "core.escalations",
    # The platform's audit trail (安全审计): one append-only table in the public schema.
    "core.audit",
    # API tokens that expire, kept as digests (core.tokens; DRF's own `authtoken` is no longer used).
    "core.tokens",
    # Accounts: signed-in sessions, the members' lifecycle, password links; and the sign-in lockout (django-axes).
    "core.accounts",
    "axes",
    # Two-factor sign-in (身份鉴别): TOTP devices and recovery codes of django-otp, kept with the users (core.twofactor).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core.twofactor",
    # The marker of the demo city's generated history (`manage.py load_demo_city`).
    "core.demo",
    # Outgoing e-mails and SMS, each with its delivery status (also in every station, like core.jobs).
    "core.deliveries",
    # In-app notifications of staff and bureau users, and their per-kind channel preferences.
    "core.notifications",
    # One station's logical export and import, and the lock table a whole-database dump needs (no tables).
    "core.backups",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "core.activity",
    "core.jobs",
    "core.messaging",
    "core.numbering",
    "core.desk",
    "core.referrals",
    # Object permissions on a station's rows (confidential cases) are rows of that station: see core.archive.
    "guardian",
    "core.archive",
    "core.supervision",
    "core.complaints",
    "core.operations",
    "core.assessment",
    "core.deliveries",
    # Files on demands and cases (reports, certificates, photos), never deleted, versioned, released to the enterprise.
    "core.documents",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Station"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New stations are cloned from a migrated template schema instead of running every migration: provisioning time
# does not grow with the number of migrations. `migrate_schemas` keeps the template migrated.
TENANT_BASE_SCHEMA = "station_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Copies of the template cloned ahead of time (tenants.spare_schemas): onboarding renames one instead of cloning, which
# grows slow with the number of schemas in the database. 0 turns the pool off (every onboarding clones).
STATION_SPARE_SCHEMAS = env.integer("STATIONNET_SPARE_SCHEMAS", 2)
# The sweeps visit only the schemas marked with work (tenants.work): up to this many in the beat task itself, more in
# chunk tasks of this many schemas each, queued in parallel. A chunk task lost with its worker is queued again once
# the lease is over.
STATION_WORK_CHUNK = max(1, env.integer("STATIONNET_SWEEP_CHUNK", 50))
STATION_WORK_LEASE = datetime.timedelta(minutes=5)
# Set the search path once per request and schema change, not before every query.
TENANT_LIMIT_SET_CALLS = True
# How many child processes `migrate_schemas` migrates station schemas in at once (django-tenants' subprocess executor;
# `--parallel` overrides it). 0: the machine's CPU count.
TENANT_SUBPROCESS_PARALLEL = env.integer("STATIONNET_MIGRATE_PARALLEL", 0)
PUBLIC_SCHEMA_URLCONF = "stationnet.urls_public"
ROOT_URLCONF = "stationnet.urls_station"
DEFAULT_NOT_FOUND_TENANT_VIEW = "portal.views.UnknownHostView"

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    # First: counts failed sign-ins and refuses a locked-out account or address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_ANONYMOUS_USER_NAME = None
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

MIDDLEWARE = [
    "stationnet.health.HealthCheckMiddleware",
    # The Content-Security-Policy and the Permissions-Policy on every answer, the unknown host's page included.
    "csp.middleware.CSPMiddleware",
    "stationnet.headers.PermissionsPolicyMiddleware",
    # A database error anywhere below (a failover in progress): 503 with Retry-After, never a stack trace
    # (stationnet.database_errors).
    "stationnet.database_errors.DatabaseUnavailableMiddleware",
    "tenants.middleware.StationTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "stationnet.language.ChineseFirstLanguageMiddleware",
    # A NUL in the path, a query parameter, a cookie or a header: 400 before any view (stationnet.bad_requests).
    "stationnet.bad_requests.NullCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idle and too-old sessions end here, before anything else reads the user (core.accounts.middleware).
    "core.accounts.middleware.SessionLimitsMiddleware",
    # `request.user.is_verified()`: whether this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "tenants.middleware.StationAccessMiddleware",
    # A signed-in user who has, or must have, two-factor sign-in reaches nothing else before passing it
    # (core.twofactor.middleware); after the access rule, so that a station's outsiders still get its 403.
    "core.twofactor.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns django-axes' lockout into the sign-in page with the reason (core.accounts.views.locked_out).
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [REPO_ROOT / "frontend_templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenancy",
                # `data_freshness` on the pages of views that may read the replica (core.common.replica).
                "core.common.replica.data_freshness",
            ],
            # `{% colon %}` on every page (core.common.labels); `|mask_phone`, `|mask_email` (core.common.masking).
            "builtins": ["core.common.labels", "core.common.masking"],
        },
    },
]
WSGI_APPLICATION = "stationnet.wsgi.application"
# The largest request body besides its files (bytes); a larger one is answered 413 (stationnet.bad_requests), on the
# API as JSON. Files have their own limits (uploads, imports).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.integer("STATIONNET_REQUEST_MAX_BYTES", 2_621_440)

# Passwords (GB/T 22239-2019 身份鉴别: complexity): at least this long, with three of the four kinds of character;
# not like the user's name or e-mail, not a common password, not all digits. Each refusal says why, in Chinese.
PASSWORD_MIN_LENGTH = env.integer("STATIONNET_PASSWORD_MIN_LENGTH", 10)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "core.accounts.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
]

# Sign-in lockout (django-axes): after this many failed sign-ins an account, and separately an address, is refused
# for the cool-off (minutes), unless the security administrator lifts it sooner (console: 账号与安全).
AXES_FAILURE_LIMIT = env.integer("STATIONNET_SIGN_IN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.integer("STATIONNET_SIGN_IN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "tenants.hosts.client_address"
AXES_VERBOSE = False
# Sessions end after this many minutes without a request, and this many hours after the sign-in whatever happens
# (core.accounts.middleware); a forgotten password's e-mailed link is valid this many minutes, once.
SESSION_IDLE_MINUTES = env.integer("STATIONNET_SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = env.integer("STATIONNET_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
PASSWORD_RESET_LINK_MINUTES = env.integer("STATIONNET_PASSWORD_RESET_LINK_MINUTES", 60)
# A password older than this many days must be changed before anything else (0: never asked).
PASSWORD_MAX_AGE_DAYS = env.integer("STATIONNET_PASSWORD_MAX_AGE_DAYS", 90)
# Two-factor sign-in (core.twofactor): required of these roles (bureau roles admin, viewer, security, auditor; station
# roles head, staff: an active membership anywhere), optional for everyone else.
TWO_FACTOR_ROLES = {"admin", "viewer", "security", "auditor", "head", "staff"}
TWO_FACTOR_REQUIRED_ROLES = tuple(
    role.strip() for role in env.text("STATIONNET_TWO_FACTOR_REQUIRED_ROLES", "admin,security,auditor,head").split(",")
)
if not set(TWO_FACTOR_REQUIRED_ROLES) <= TWO_FACTOR_ROLES:
    raise env.fail(
        "STATIONNET_TWO_FACTOR_REQUIRED_ROLES",
        f"is {','.join(TWO_FACTOR_REQUIRED_ROLES)!r}",
        f"roles separated by commas, among {', '.join(sorted(TWO_FACTOR_ROLES))}",
    )
# The name authenticator apps show next to the account. A code is accepted one 30-second step early or late, and
# never twice; the accepted step does not shift the window (no drift learned from codes, which would let it creep).
OTP_TOTP_ISSUER = "StationNet"
OTP_TOTP_SYNC = False

# --- Language and time: Chinese first ------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [REPO_ROOT / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
# The standard names no time limit; the desk's default target for a case, in working days on the Chinese calendar.
DESK_TARGET_WORKING_DAYS = 10
# The desk's reminders (clause 5.2.4 and the case deadlines): a case is reminded when its deadline falls within this
# many working days; an unanswered satisfaction survey is reminded once after this many working days; the survey
# link the enterprise gets is valid for this many (calendar) days.
DESK_DEADLINE_WARNING_WORKING_DAYS = 2
DESK_SURVEY_REMINDER_WORKING_DAYS = 3
DESK_SURVEY_LINK_DAYS = 30
# Referrals between stations: a station has this many working days to accept or decline one, until the bureau sets its
# own figure in the console (core.network.ReferralPolicy).
REFERRAL_ACCEPT_WORKING_DAYS = 2
# Publication of a station (公示, clause 3): the public notice period shown on the portal, in days, and the bureau's
# supervision phone the portal and the open data give next to each station's complaint phone (clause 6.1).
PUBLICATION_NOTICE_DAYS = env.integer("STATIONNET_PUBLICATION_NOTICE_DAYS", 7)
# Objections to a publication raised on the portal during its notice: at most this many per hour from one address.
PUBLICATION_OBJECTIONS_PER_HOUR = env.integer("STATIONNET_PUBLICATION_OBJECTIONS_PER_HOUR", 5)
BUREAU_SUPERVISION_PHONE = env.text("STATIONNET_BUREAU_SUPERVISION_PHONE", "12315")
# Evaluation rounds (综合评估, clause 3): an approved round schedules the next re-evaluation this many days later; the
# evidence a station head uploads is refused above this size (bytes).
EVALUATION_INTERVAL_DAYS = env.integer("STATIONNET_EVALUATION_INTERVAL_DAYS", 365)
EVALUATION_EVIDENCE_MAX_BYTES = env.integer("STATIONNET_EVALUATION_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
# Station operations (clauses 4.3-4.5): the head is reminded of equipment maintenance due within this many days; a
# training certificate or a written system's file is refused above this size (bytes).
OPERATIONS_MAINTENANCE_REMINDER_DAYS = env.integer("STATIONNET_OPERATIONS_MAINTENANCE_REMINDER_DAYS", 14)
OPERATIONS_DOCUMENT_MAX_BYTES = env.integer("STATIONNET_OPERATIONS_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# Messages between schemas (core.messaging) still undelivered this long after their last attempt are queued again.
# Public supervision (clause 6.1): the station's public opinion form takes at most this many submissions per hour from
# one address; a form sent back faster than the minimum or later than the maximum (seconds) after it was shown is
# refused as automated; an optional photo is refused above this size (bytes).
SUPERVISION_SUBMISSIONS_PER_HOUR = env.integer("STATIONNET_SUPERVISION_SUBMISSIONS_PER_HOUR", 5)
SUPERVISION_FORM_MIN_SECONDS = env.integer("STATIONNET_SUPERVISION_FORM_MIN_SECONDS", 3)
SUPERVISION_FORM_MAX_SECONDS = env.integer("STATIONNET_SUPERVISION_FORM_MAX_SECONDS", 2 * 3600)
SUPERVISION_PHOTO_MAX_BYTES = env.integer("STATIONNET_SUPERVISION_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
# Documents on demands and cases (core.documents: reports, certificates, photos, scans) are refused above this size.
DOCUMENTS_MAX_BYTES = env.integer("STATIONNET_DOCUMENTS_MAX_BYTES", 20 * 1024 * 1024)
# Every upload is checked for what it is (core.uploads.checks): an image is refused above this many pixels (decoded, a
# 40-megapixel RGBA picture takes 160 MB); an Office document (a ZIP) is refused before anything is inflated when its
# entries would inflate to more than this many bytes in all, at more than this ratio to their compressed size (ordinary
# workbooks and documents stay under 30), or when it has more than this many entries.
UPLOAD_IMAGE_MAX_PIXELS = env.integer("STATIONNET_UPLOAD_IMAGE_MAX_PIXELS", 40_000_000)
UPLOAD_ZIP_MAX_TOTAL_BYTES = env.integer("STATIONNET_UPLOAD_ZIP_MAX_TOTAL_BYTES", 100 * 1024 * 1024)
UPLOAD_ZIP_MAX_RATIO = env.integer("STATIONNET_UPLOAD_ZIP_MAX_RATIO", 100)
UPLOAD_ZIP_MAX_ENTRIES = env.integer("STATIONNET_UPLOAD_ZIP_MAX_ENTRIES", 10_000)
# Complaints (clause 6.5): acknowledged within, and responded to within, this many working days of their reception.
COMPLAINT_ACKNOWLEDGE_WORKING_DAYS = env.integer("STATIONNET_COMPLAINT_ACKNOWLEDGE_WORKING_DAYS", 1)
COMPLAINT_RESPONSE_WORKING_DAYS = env.integer("STATIONNET_COMPLAINT_RESPONSE_WORKING_DAYS", 5)
# Deadline reminders: a complaint's deadline due within this many working days, an improvement plan's within this
# many days (or past it) is e-mailed once.
COMPLAINT_REMINDER_WORKING_DAYS = env.integer("STATIONNET_COMPLAINT_REMINDER_WORKING_DAYS", 1)
# A complaint still without a response this many whole working days after its response deadline goes to the bureau
# by itself (core.complaints.services.complaint_escalate_overdue).
COMPLAINT_ESCALATE_AFTER_WORKING_DAYS = env.integer("STATIONNET_COMPLAINT_ESCALATE_AFTER_WORKING_DAYS", 3)
SUPERVISION_PLAN_REMINDER_DAYS = env.integer("STATIONNET_SUPERVISION_PLAN_REMINDER_DAYS", 3)
# Staff assessment (clause 6.4): a dimension's share (0-1) reaching a threshold earns that level, checked best first
# (优秀, 良好, 合格); below the last it is 待改进. See core.assessment.selectors.
ASSESSMENT_LEVEL_THRESHOLDS = {"excellent": 0.95, "good": 0.85, "pass": 0.70}
MESSAGING_REQUEUE_AFTER = datetime.timedelta(seconds=env.integer("STATIONNET_MESSAGE_REQUEUE_SECONDS", 60))
# Jobs (core.jobs): a directory import's file is refused above this size before it is accepted; a job queued or
# running whose worker has given no sign of life (progress) for this long is failed by the watchdog (beat).
IMPORT_MAX_BYTES = env.integer("STATIONNET_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
JOB_STALE_AFTER = datetime.timedelta(seconds=env.integer("STATIONNET_JOB_STALE_SECONDS", 15 * 60))
# The audit trail (core.audit, 安全审计): entries are kept this many days, then pruned by beat (`audit_prune`). The law
# (Cybersecurity Law art. 21) and GB/T 22239-2019 ask six months at least; the database refuses any earlier delete.
AUDIT_RETENTION_MIN_DAYS = 183
AUDIT_RETENTION_DAYS = env.integer("STATIONNET_AUDIT_RETENTION_DAYS", AUDIT_RETENTION_MIN_DAYS)
if AUDIT_RETENTION_DAYS < AUDIT_RETENTION_MIN_DAYS:
    raise env.fail(
        "STATIONNET_AUDIT_RETENTION_DAYS",
        f"is {AUDIT_RETENTION_DAYS}, below the legal minimum",
        f"at least {AUDIT_RETENTION_MIN_DAYS} days (six months)",
    )
# Printing Appendix A and B to PDF runs Debian's chromium (see core.common.printing): its path, and how long it may take.
STATIONNET_CHROMIUM = env.text("STATIONNET_CHROMIUM", "") or None
STATIONNET_PDF_TIMEOUT = env.integer("STATIONNET_PDF_TIMEOUT", 60)
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [REPO_ROOT / "frontend_templates" / "static"]
# Uploaded files (evaluation evidence): kept under VAR_DIR and served only through views that check who may read them.
MEDIA_ROOT = Path(env.text("STATIONNET_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Security -----------------------------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = URL_SCHEME == "https"
CSRF_COOKIE_SECURE = URL_SCHEME == "https"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of ours stand in front of the web pods (the Ingress: 1), so that a client's address is read from
# X-Forwarded-For (tenants.hosts.client_address: the public feedback form's rate limit); 0 reads REMOTE_ADDR.
TRUSTED_PROXY_HOPS = env.integer("STATIONNET_TRUSTED_PROXY_HOPS", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# TLS ends at the Ingress, which redirects plain HTTP itself; behind https the browser is told to stay on it (HSTS),
# for the stations' hosts too.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if URL_SCHEME == "https" else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = URL_SCHEME == "https"
# No inline script anywhere (every script is a static file under frontend_templates/static/): scripts from our own host
# only. Styles allow 'unsafe-inline': the pages' <style> blocks and the style= widths of bars, charts and the printed
# forms' columns. The API docs run Swagger UI from the sidecar package with its start-up script served as a file of
# its own (drf-spectacular's SpectacularSwaggerSplitView), under the same policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page uses (stationnet.headers).
PERMISSIONS_POLICY = {
    feature: ()
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
CSRF_TRUSTED_ORIGINS = [
    f"{URL_SCHEME}://{host}{f':{URL_PORT}' if URL_PORT else ''}" for host in (BASE_DOMAIN, f"*.{BASE_DOMAIN}")
]

# --- E-mail --------------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env.text("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = env.text("DJANGO_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env.text("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.text("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", f"StationNet <noreply@{BASE_DOMAIN}>")

# --- SMS (core.common.sms) ----------------------------------------------------------------------------------------
# The gateway: the file backend (one text file per message under SMS_FILE_PATH) in development and the demo; Alibaba
# Cloud SMS (`core.common.sms.AliyunBackend`) in production, with its signature and one template per kind of message.
SMS_BACKEND = env.text("STATIONNET_SMS_BACKEND", "core.common.sms.FileBackend")
SMS_FILE_PATH = Path(env.text("STATIONNET_SMS_FILE_PATH", str(VAR_DIR / "sms")))
SMS_SIGN_NAME = env.text("STATIONNET_SMS_SIGN_NAME", "")
_sms_templates = env.text("STATIONNET_SMS_TEMPLATES", "{}")
try:
    SMS_TEMPLATES = json.loads(_sms_templates)
except ValueError:
    SMS_TEMPLATES = None
if not isinstance(SMS_TEMPLATES, dict) or not all(
    isinstance(kind, str) and isinstance(code, str) for kind, code in SMS_TEMPLATES.items()
):
    raise env.fail(
        "STATIONNET_SMS_TEMPLATES",
        f"is {_sms_templates!r}",
        'a JSON object of template codes ({"demand_registered": "SMS_123"})',
    )
SMS_ALIYUN_ACCESS_KEY_ID = env.text("STATIONNET_SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = env.text("STATIONNET_SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_ALIYUN_ENDPOINT = env.text("STATIONNET_SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com")
if SMS_BACKEND.endswith(".AliyunBackend"):
    for _name, _value in (
        ("STATIONNET_SMS_ALIYUN_ACCESS_KEY_ID", SMS_ALIYUN_ACCESS_KEY_ID),
        ("STATIONNET_SMS_ALIYUN_ACCESS_KEY_SECRET", SMS_ALIYUN_ACCESS_KEY_SECRET),
        ("STATIONNET_SMS_SIGN_NAME", SMS_SIGN_NAME),
    ):
        if not _value:
            raise env.fail(_name, "is missing", "a value when STATIONNET_SMS_BACKEND is the Alibaba Cloud backend")
# Messages one mobile number receives at most per clock hour and per day; more wait for the next hour or day.
SMS_PER_PHONE_PER_HOUR = env.integer("STATIONNET_SMS_PER_PHONE_PER_HOUR", 5)
SMS_PER_PHONE_PER_DAY = env.integer("STATIONNET_SMS_PER_PHONE_PER_DAY", 10)
if not 1 <= SMS_PER_PHONE_PER_HOUR <= SMS_PER_PHONE_PER_DAY:
    raise env.fail(
        "STATIONNET_SMS_PER_PHONE_PER_HOUR",
        f"is {SMS_PER_PHONE_PER_HOUR}",
        f"1 to {SMS_PER_PHONE_PER_DAY} (the daily limit)",
    )

# --- Celery ---------------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.url(
    "CELERY_BROKER_URL",
    schemes=("redis", "rediss", "amqp", "amqps", "filesystem"),
    example="redis://127.0.0.1:6379/0",
)
if CELERY_BROKER_URL.startswith("filesystem"):
    # The embedded broker of the demo and of tests without a configured broker: kombu's file-system transport, a
    # real transport shared by separate processes through a folder (see stationnet.devstack).
    _broker_dir = Path(env.text("STATIONNET_BROKER_DIR", str(VAR_DIR / "broker")))
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
        # The transport sleeps this long whenever it finds no task it may take (the default, a second, holds a worker
        # to about one task per second per pool process).
        "polling_interval": 0.05,
    }
# A run of the test suite uses a queue of its own, so that a demo worker on the same broker never takes its tasks.
CELERY_TASK_DEFAULT_QUEUE = env.text("STATIONNET_CELERY_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "qualification-expiry": {
        "task": "core.directory.tasks.qualification_expiry_notify_task",
        "schedule": crontab(hour=7, minute=30),  # every morning, Asia/Shanghai
    },
    # Every station's open cases near or past their deadline: the assignee, then the station head, are e-mailed.
    "desk-deadline-reminders": {
        "task": "core.desk.tasks.case_deadline_remind_all_task",
        "schedule": crontab(minute="*/30", hour="8-17"),  # every half hour, 08:00-17:30 Asia/Shanghai
    },
    # Messages between schemas (referrals, the bureau's read models) still undelivered: queued again.
    "messaging-requeue": {
        "task": "core.messaging.tasks.outbox_requeue_stale_all_task",
        "schedule": 60.0,
    },
    # E-mails and text messages (core.deliveries) whose task was lost: queued again; stuck mid-send: failed.
    "deliveries-sweep": {
        "task": "core.deliveries.tasks.deliveries_sweep_all_task",
        "schedule": crontab(minute="*/5"),
    },
    # Jobs (imports, exports) whose worker stopped (killed, lost): failed with a reason, in every schema.
    "jobs-watchdog": {
        "task": "core.jobs.tasks.jobs_watchdog",
        "schedule": crontab(minute="*/5"),
    },
    # Referrals between stations not accepted in time: both station heads and the bureau are told.
    "referrals-overdue": {
        "task": "core.referrals.tasks.referral_overdue_flag_all_task",
        "schedule": crontab(minute="*/30"),
    },
    # Each station's load (open cases, referrals waiting), for stations choosing where to refer.
    "referrals-station-load": {
        "task": "core.referrals.tasks.station_load_publish_all_task",
        "schedule": crontab(minute="*/10"),
    },
    # Spare station schemas (also refilled after every onboarding): after a deploy's migration, a failed refill.
    "tenants-spare-schemas": {
        "task": "tenants.tasks.spare_schemas_refill_task",
        "schedule": crontab(minute="*/10"),
    },
    # Satisfaction surveys left unanswered: one reminder to the enterprise.
    # Complaints near or past their acknowledgement / response deadline (clause 6.5): the head and the handler, once.
    "complaints-deadline-reminders": {
        "task": "core.complaints.tasks.complaint_deadline_remind_all_task",
        "schedule": crontab(minute=5, hour="8-18"),  # hourly in office hours, Asia/Shanghai
    },
    # Complaints left without a response COMPLAINT_ESCALATE_AFTER_WORKING_DAYS past their deadline: to the bureau.
    "complaints-overdue-escalation": {
        "task": "core.complaints.tasks.complaint_escalate_overdue_all_task",
        "schedule": crontab(minute=35, hour="8-18"),
    },
    # Improvement plans (clause 6.1) near or past their due date: their owner, once.
    "supervision-plan-reminders": {
        "task": "core.supervision.tasks.plan_due_remind_all_task",
        "schedule": crontab(hour=8, minute=15),
    },
    "desk-survey-reminders": {
        "task": "core.desk.tasks.survey_remind_due_all_task",
        "schedule": crontab(hour=9, minute=0),
    },
    # Yearly re-evaluations (clause 3) whose date has come: opened for published stations, their heads e-mailed.
    "evaluation-reevaluations-due": {
        "task": "core.evaluation.tasks.round_open_due_task",
        "schedule": crontab(hour=6, minute=30),
    },
    # Publications whose public notice is over with no objection upheld or waiting (clause 3): final.
    "evaluation-publications-final": {
        "task": "core.evaluation.tasks.publication_finalise_task",
        "schedule": crontab(minute=20),  # hourly
    },
    # Rectifications (clause 3) due within 7 days, within 1 day, or overdue: the station heads and the bureau's
    # administrators are notified, once per round and window.
    "evaluation-rectification-reminders": {
        "task": "core.evaluation.tasks.rectification_remind_task",
        "schedule": crontab(hour=8, minute=0),
    },
    # Equipment maintenance due soon or overdue (clause 4.3.5): each station head is e-mailed once per due date.
    "operations-maintenance-reminders": {
        "task": "core.operations.tasks.maintenance_remind_all_task",
        "schedule": crontab(hour=8, minute=15),
    },
    # Staff qualifications ending within 90 or 30 days, or ended (clause 4.4): each station's head is notified, once per
    # qualification and threshold.
    "operations-qualification-expiry": {
        "task": "core.operations.tasks.staff_qualification_expiry_remind_all_task",
        "schedule": crontab(hour=7, minute=45),
    },
    # The audit trail's entries past `AUDIT_RETENTION_DAYS`: deleted, the pruning itself recorded.
    "audit-prune": {
        "task": "core.audit.tasks.audit_prune_task",
        "schedule": crontab(hour=3, minute=40),
    },
}
# Queues (issue 21): a referral's delivery or an e-mail never waits behind an hour of exports, nor behind the sweeps
# that visit every station. Each queue has workers of its own (k8s/base/deployment-worker-<queue>.yaml, scaled on its
# length); tasks not named below stay on the default queue, which a test refuses for our own tasks. The names derive
# from the default queue, so a test run's queues stay apart from a demo's on the same broker.
WORKER_QUEUES = {
    "default": CELERY_TASK_DEFAULT_QUEUE,
    "deliveries": f"{CELERY_TASK_DEFAULT_QUEUE}.deliveries",
    "periodic": f"{CELERY_TASK_DEFAULT_QUEUE}.periodic",
    "bulk": f"{CELERY_TASK_DEFAULT_QUEUE}.bulk",
}
CELERY_TASK_ROUTES = {
    # Every task beat sends, whatever its name (also when a page or a service queues it).
    **{entry["task"]: {"queue": WORKER_QUEUES["periodic"]} for entry in CELERY_BEAT_SCHEDULE.values()},
    # By naming convention: one message between schemas, one e-mail or text message...
    "core.messaging.tasks.message_deliver_task": {"queue": WORKER_QUEUES["deliveries"]},
    "*_send_task": {"queue": WORKER_QUEUES["deliveries"]},
    "*_mail_task": {"queue": WORKER_QUEUES["deliveries"]},
    # ...a sweep over every station (and the per-station chunks it fans out)...
    "*_all_task": {"queue": WORKER_QUEUES["periodic"]},
    "*_chunk_task": {"queue": WORKER_QUEUES["periodic"]},
    # ...and a job a user waits for with a progress bar, minutes long.
    "*_import_task": {"queue": WORKER_QUEUES["bulk"]},
    "*_export_task": {"queue": WORKER_QUEUES["bulk"]},
    # An onboarding with no spare schema waiting takes seconds (a replay of the template) while the bureau's
    # administrator watches its page: it goes with the deliveries, never behind an hour of exports.
    "core.onboarding.tasks.station_onboard_task": {"queue": WORKER_QUEUES["deliveries"]},
}
# Liveness (k8s): a worker touches this file at each event heartbeat (every 2 s), beat at each tick (at most
# CELERY_BEAT_MAX_LOOP_INTERVAL apart); the pod's probe fails when it is older than a few minutes. Empty: not touched.
HEARTBEAT_FILE = env.text("STATIONNET_HEARTBEAT_FILE", "")
CELERY_BEAT_SCHEDULER = "stationnet.celery:TouchingScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 60

# --- Cache ----------------------------------------------------------------------------------------------------------
# The API's request counts (throttling) live in Django's cache, shared by every web process: Redis at
# STATIONNET_CACHE_URL, by default the broker's Redis when the broker is Redis; otherwise (the file-system broker of the
# demo and of tests) each process's own memory (`locmem://`).
_broker_is_redis = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
CACHE_URL = env.url(
    "STATIONNET_CACHE_URL",
    schemes=("redis", "rediss", "locmem"),
    example="redis://127.0.0.1:6379/0",
    default=CELERY_BROKER_URL if _broker_is_redis else "locmem://",
)
if CACHE_URL.startswith("locmem"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "stationnet"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # Apart from the broker's own keys when they share a database.
            "KEY_PREFIX": "stationnet",
        }
    }

# --- REST API -------------------------------------------------------------------------------------------------------
# API tokens (core.tokens): valid for this many days unless their owner chooses, and never longer than the maximum.
API_TOKEN_DEFAULT_DAYS = env.integer("STATIONNET_API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = env.integer("STATIONNET_API_TOKEN_MAX_DAYS", 365)
if not 1 <= API_TOKEN_DEFAULT_DAYS <= API_TOKEN_MAX_DAYS:
    raise env.fail(
        "STATIONNET_API_TOKEN_DEFAULT_DAYS", f"is {API_TOKEN_DEFAULT_DAYS}", f"1 to {API_TOKEN_MAX_DAYS} days"
    )


def _rate(name: str, default: str) -> str | None:
    """A request rate like `600/min` (per second, minute, hour or day); `off` turns that limit off."""
    value = env.text(name, default)
    if value.lower() == "off":
        return None
    count, _slash, period = value.partition("/")
    if not (count.isdigit() and int(count) > 0 and period in {"s", "sec", "min", "m", "hour", "h", "day", "d"}):
        raise env.fail(name, f"is {value!r}", "a rate like 600/min (per s, min, hour or day) or off")
    return value


# Requests to the API (api.throttling): per signed-in user, per address for anonymous callers, and the token endpoint
# (a password is checked there) per address. Beyond a rate the API answers 429 with the seconds to wait.
API_THROTTLE_RATES = {
    "user": _rate("STATIONNET_API_RATE_USER", "600/min"),
    "address": _rate("STATIONNET_API_RATE_ADDRESS", "300/min"),
    "token_issue": _rate("STATIONNET_API_RATE_TOKEN_ISSUE", "10/min"),
}
REST_FRAMEWORK = {
    # The token first: a refused or missing credential is answered 401 with `WWW-Authenticate: Token` (DRF takes
    # the header from the first class; the session's has none, which made it 403 on the public host).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserThrottle", "api.throttling.AddressThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ScopeRequired"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # The services' refusals (400 per field, 403 with their reason, 404), and values the database refuses: never a 500.
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    # In the request's language (Chinese unless the user chose another): drf-spectacular resolves lazy strings when
    # it builds the schema, and the docs page's title is read when it is drawn. It has no language setting of its own:
    # the schema follows the active language (or `?lang=`), and Swagger UI's own buttons come in English only.
    "TITLE": gettext_lazy("StationNet API"),
    "DESCRIPTION": gettext_lazy(
        "The REST API of StationNet, the platform of the one-stop quality service stations. On the public host: the "
        "bureau's and the shared directory's endpoints; on a station host (<code>.<base domain>): that station's "
        "endpoints, for its members only. Sign in and try the endpoints on this page, or get a token: POST your user "
        "name and password to /api/v1/auth/token/ on the public host, then send the header "
        "`Authorization: Token <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI is served from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The refusals (400, 401, 403, 404, 413) every operation may answer, with their JSON bodies (api.v1.docs).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.v1.docs.error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "DistrictEnum": "core.districts.District",
        "AccessChannelEnum": "core.archive.models.AccessChannel",
        "ChannelEnum": "core.desk.models.Channel",
        "CaseStateEnum": "core.desk.models.CaseState",
        "DocumentKindEnum": "core.documents.models.DocumentKind",
        "OpinionKindEnum": "core.supervision.models.OpinionKind",
        "TrainingKindEnum": "core.operations.models.TrainingKind",
        "EquipmentKindEnum": "core.operations.models.EquipmentKind",
        "RoundKindEnum": "core.evaluation.models.RoundKind",
        "PlanKindEnum": "core.desk.models.PlanKind",
        "InstitutionKindEnum": "core.directory.models.InstitutionKind",
        "QualificationKindEnum": "core.directory.models.QualificationKind",
        "AssessmentLevelEnum": "core.assessment.models.Level",
        "AssessmentPeriodKindEnum": "core.assessment.models.PeriodKind",
        "ReviewConclusionEnum": "core.assessment.models.ReviewConclusion",
        "TokenStateEnum": "core.tokens.models.TokenState",
        "EscalationStateEnum": "core.escalations.models.EscalationState",
        "ObjectionStateEnum": "core.evaluation.models.ObjectionState",
        "NotificationKindEnum": "core.notifications.kinds.KIND_CHOICES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.text("STATIONNET_LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; the audit trail (core.audit) keeps what matters.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
PASSWORD_RESET_TIMEOUT = 7 * 24 * 3600  # invitation links stay valid for a week

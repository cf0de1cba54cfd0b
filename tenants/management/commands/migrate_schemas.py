"""django-tenants' ``migrate_schemas`` (and ``migrate``, its alias) for a city of 1,000 stations and more.

Visiting every station schema to find that it has nothing to do costs a fresh migration executor per schema, about
0.2 s each and rising with the catalog (88 s at 500 stations, issue 21). So the run first asks the catalog which
station schemas lack a migration of the project's graph (``tenants.deploys.schemas_behind``: a few queries, one
connection) and skips the others; only the schemas behind are migrated, by django-tenants' subprocess executor in
``TENANT_SUBPROCESS_PARALLEL`` (or ``--parallel``) child processes at once, each child migrating a batch of schemas
(``--batch``) so that Django's start-up is paid once a batch rather than once a schema. The template schema is brought
up to date after the stations, as before (``station_template_sync``, skipped too when it is up to date), and the
stations are checked once more at the end for one opened meanwhile. The whole run holds ``tenants.deploys.deploy_lock``, so onboarding refuses meanwhile.

``--all`` visits every schema the way django-tenants does; so does a run naming an app or a migration (to go back),
``--prune`` and ``--run-syncdb``. ``--schema`` (one schema) runs as django-tenants' command does, without the lock:
the template sync and the child processes use it.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import CommandError
from django.db import connections
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.migration_executors.base import MigrationExecutor
from django_tenants.migration_executors.standard import StandardExecutor
from django_tenants.migration_executors.subproc import SubprocessExecutor, _manage_py, _options_to_argv
from django_tenants.utils import get_public_schema_name, get_tenant_migration_order, get_tenant_model

from tenants.deploys import deploy_lock, schemas_behind
from tenants.template_schema import station_template_sync

REPO_ROOT = Path(__file__).resolve().parents[3]
# Station schemas one child process migrates (its start-up, about a second, is paid once per batch).
DEFAULT_BATCH = 25


def manage_py() -> str:
    """The manage.py the children run: the one this command was started with, else the repository's (a benchmark or
    a test calling the command in-process from another folder)."""
    ours = REPO_ROOT / "manage.py"
    if (sys.argv and sys.argv[0].endswith("manage.py")) or not ours.is_file():
        return _manage_py()
    return str(ours)


class StationSubprocessExecutor(SubprocessExecutor):
    """django-tenants' subprocess executor, with a batch of schemas per child and the children on the parent's
    database (also when that is not the one ``DATABASE_URL`` names, as in the test runner's test database)."""

    def _max_parallel(self) -> int:
        explicit = self.options.get("parallel")
        wanted = explicit if explicit is not None else settings.TENANT_SUBPROCESS_PARALLEL
        return max(1, int(wanted or os.cpu_count() or 1))

    def _environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        name = connections[self.TENANT_DB_ALIAS].settings_dict["NAME"]
        if environment.get("DATABASE_URL"):
            url = urlsplit(environment["DATABASE_URL"])
            environment["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{name}"))
        return environment

    def _run_in_subprocess(self, schema_name: str) -> None:
        cmd = [sys.executable, manage_py(), "migrate_schemas", "--executor=standard", "--schemas", schema_name]
        # The target too, which django-tenants' executor leaves out (the children would migrate to the leaves).
        targets = [self.options.get(name) for name in ("app_label", "migration_name")]
        cmd += [*self.args, *(target for target in targets if target), *_options_to_argv(self.options)]
        completed = subprocess.run(cmd, env=self._environment(), check=False)  # noqa: S603  (our own manage.py)
        if completed.returncode != 0:
            raise SystemExit(completed.returncode)

    def run_migrations(self, tenants=None):
        tenants = list(tenants or [])
        if self.PUBLIC_SCHEMA_NAME in tenants:
            super().run_migrations(tenants=[self.PUBLIC_SCHEMA_NAME])
            tenants.remove(self.PUBLIC_SCHEMA_NAME)
        if not tenants:
            return
        parallel = self._max_parallel()
        size = max(1, int(self.options.get("batch") or DEFAULT_BATCH))
        # No more batches than it takes to keep every child process busy.
        size = min(size, max(1, -(-len(tenants) // parallel)))
        batches = [",".join(tenants[start : start + size]) for start in range(0, len(tenants), size)]
        self._close_connections()
        if parallel == 1 or len(batches) == 1:
            for batch in batches:
                self._run_in_subprocess(batch)
        else:
            self._run_parallel(batches, parallel)


def executor_for(codename: str, args, options) -> MigrationExecutor:
    if codename == StationSubprocessExecutor.codename:
        return StationSubprocessExecutor(args, options)
    return get_executor(codename=codename)(args, options)


class Command(MigrateSchemasCommand):
    """django-tenants' migrate_schemas that skips the station schemas up to date (see the module's docstring)."""

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--all",
            action="store_true",
            dest="visit_all",
            help="Migrate every station schema, also those whose migrations are all applied already.",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=None,
            help=f"Station schemas one child process migrates (subprocess executor; default {DEFAULT_BATCH}).",
        )
        parser.add_argument(
            "--schemas",
            dest="schema_batch",
            help="Comma-separated station schemas to migrate in this process, one after the other (what the "
            "subprocess executor's children are given).",
        )

    def handle(self, *args, **options):
        # The system checks ran once, before this handler (BaseCommand.execute); Django's migrate, which the executors
        # run once per schema, would run them again each time (0.14 s a schema).
        options["skip_checks"] = True
        if options.get("schema_batch"):
            self._migrate_batch(args, options)
            return
        if options.get("schema_name"):
            super().handle(*args, **options)
            return
        with deploy_lock(using=options["database"]):
            self._deploy(args, options)

    def _migrate_batch(self, args, options) -> None:
        """One child's batch: the standard executor over the schemas given, in this process."""
        schemas = [name for name in options["schema_batch"].split(",") if name]
        if get_public_schema_name() in schemas:
            raise CommandError("--schemas takes station schemas only.")
        SyncCommon.handle(self, *args, **{**options, "tenant": True})
        StandardExecutor(self.args, self.options).run_migrations(tenants=schemas)

    def _deploy(self, args, options) -> None:
        if not options.get("executor") and not os.environ.get("EXECUTOR"):
            options["executor"] = StationSubprocessExecutor.codename
        SyncCommon.handle(self, *args, **options)
        executor = executor_for(self.executor, self.args, self.options)
        if self.sync_public:
            executor.run_migrations(tenants=[get_public_schema_name()])
        if not self.sync_tenant:
            return
        visit_all = bool(
            options.get("visit_all") or options.get("app_label") or options.get("prune") or options.get("run_syncdb")
        )
        self._stations_migrate(executor, visit_all=visit_all)
        # The template too is skipped when up to date (then no spare cloned from it is stale either).
        if visit_all or schemas_behind(schema_names=[settings.TENANT_BASE_SCHEMA], using=self.options["database"]):
            station_template_sync(
                verbosity=options.get("verbosity", 1),
                app_label=options.get("app_label"),
                migration_name=options.get("migration_name"),
            )
        if not visit_all:  # a station opened between the first look and the lock
            self._stations_migrate(executor, visit_all=False, again=True)

    def _stations_migrate(self, executor: MigrationExecutor, *, visit_all: bool, again: bool = False) -> None:
        stations = get_tenant_model().objects.exclude(schema_name=get_public_schema_name())
        order = get_tenant_migration_order()
        if order is not None:
            stations = stations.order_by(*order)
        schema_names = list(stations.values_list("schema_name", flat=True))
        behind = (
            schema_names if visit_all else schemas_behind(schema_names=schema_names, using=self.options["database"])
        )
        verbose = int(self.options.get("verbosity", 1)) >= 1
        if verbose and not visit_all and (behind or not again):
            skipped = len(schema_names) - len(behind)
            self.stdout.write(
                f"Station schemas: skipped {skipped} schemas already up to date, migrating {len(behind)}"
                + (f" ({executor.codename} executor)." if behind else ".")
            )
        if behind:
            executor.run_migrations(tenants=behind)

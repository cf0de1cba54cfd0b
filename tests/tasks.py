"""The tasks a test's captured on-commit callbacks queue (`tenants.tasks.queue`), run here as the worker would."""

import functools

from tenants import tasks as tenants_tasks


def queued_tasks(callbacks, *, app: str) -> list[functools.partial]:
    """The captured callbacks that queue a task of `app` (such as "core.desk"), not the messages to the city's read
    models or another app's."""
    return [
        callback
        for callback in callbacks
        if isinstance(callback, functools.partial)
        and callback.func is tenants_tasks.queue
        and callback.args[0].name.startswith(f"{app}.")
    ]


def run_queued(callbacks, *, app: str) -> list:
    """Run the tasks of `app` the callbacks queue, each in the schema it was queued from; their results."""
    return [
        task.apply(kwargs=kwargs, headers={"_schema_name": schema}).get()
        for task, schema, kwargs in (callback.args for callback in queued_tasks(callbacks, app=app))
    ]

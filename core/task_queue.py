"""Queueing a Celery task by its name, without importing the module that defines it.

A service that hands work to a task (deliver this message now, run this import) would
otherwise import its app's ``tasks`` module, which imports the services back: a circle of
modules. The task modules are found by Celery's autodiscovery (``config/celery_app.py``);
services name the task, as the queue routes and the beat schedule do.
"""

from __future__ import annotations

from typing import Any

from celery import current_app


def task_enqueue(name: str, *args: Any, **options: Any) -> Any:
    """Queue the task registered as ``name`` with positional ``args`` (``options`` as for
    ``apply_async``: ``retry=False``...). Raises what the broker raises when it cannot be
    reached.

    In a process that has the task loaded (a worker, a test that imports it), the task
    object queues it, so ``task_always_eager`` and a test's stand-in for ``delay`` /
    ``apply_async`` apply. Elsewhere (the web process does not load the task modules) it
    is sent by name, routed by ``CELERY_TASK_ROUTES`` like any other."""
    task = current_app.tasks.get(name)
    if task is None:
        return current_app.send_task(name, args=args, **options)
    if options:
        return task.apply_async(args=args, **options)
    return task.delay(*args)

"""The Celery queues (docs/scaling.md): every route names a task that exists and one of the
four queues, and the long sweeps, the deliveries and the imports each go to their own."""

from __future__ import annotations

import fnmatch
import re

import pytest
import yaml
from django.conf import settings

from config.celery_app import app

# Reads code and configuration, no clock: not rerun at the shifted dates.
pytestmark = pytest.mark.date_independent

QUEUES = {"celery", "sweeps", "delivery", "imports"}


def _tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def _queue(task: str) -> str:
    for pattern, route in settings.CELERY_TASK_ROUTES.items():
        if fnmatch.fnmatchcase(task, pattern):
            return route["queue"]
    return settings.CELERY_TASK_DEFAULT_QUEUE


def test_every_route_names_an_existing_task_and_a_known_queue():
    tasks = _tasks()
    for pattern, route in settings.CELERY_TASK_ROUTES.items():
        assert route["queue"] in QUEUES, pattern
        assert fnmatch.filter(tasks, pattern), f"{pattern} matches no task"


def test_sweeps_deliveries_and_imports_have_their_own_queues():
    assert _queue("lifecycle.end_tasks.process_contract_ends_task") == "sweeps"
    assert _queue("lifecycle.end_tasks.contract_ends_chunk_task") == "sweeps"
    assert _queue("contracts.tasks.process_contract_ends_task") == "sweeps"  # its old name
    assert _queue("notifications.tasks.send_reminders_task") == "sweeps"
    assert _queue("notifications.tasks.deliver_message_task") == "delivery"
    assert _queue("api.tasks.deliver_webhook_task") == "delivery"
    assert _queue("insights.tasks.import_job_task") == "imports"
    assert _queue("insights.tasks.dashboard_warm_task") == "celery"
    assert {_queue(task) for task in _tasks()} == QUEUES


def test_the_end_of_term_tasks_keep_their_results_for_the_chords():
    assert settings.CELERY_RESULT_BACKEND
    for name in (
        "lifecycle.end_tasks.process_contract_ends_task",
        "lifecycle.end_tasks.contract_ends_chunk_task",
        "lifecycle.end_tasks.contract_ends_step_done_task",
    ):
        assert app.tasks[name].ignore_result is False, name


def test_make_run_and_docker_compose_start_workers_for_every_queue():
    run_local = (settings.BASE_DIR / "scripts" / "run_local.sh").read_text()
    (local_queues,) = re.findall(r"-Q (\S+)", run_local)
    assert set(local_queues.split(",")) == QUEUES
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    consumed = set()
    for service in compose["services"].values():
        command = service.get("command") or []
        if "worker" in command:
            consumed |= set(command[command.index("-Q") + 1].split(","))
    assert consumed == QUEUES

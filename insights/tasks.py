"""The insights app's Celery tasks: the nightly propensity retrain and rescore, the NPS
survey sweep, CSV import jobs and the dashboard warm-up. Loaded by Celery's autodiscovery;
nothing in the app imports this module (insights.imports queues its job by name)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import propensity
from .dashboard import dashboard_warm
from .imports import import_job_run
from .scoring import propensity_score_all
from .surveys import nps_sweep

logger = logging.getLogger(__name__)


@shared_task(name="insights.tasks.propensity_nightly", time_limit=3600, soft_time_limit=3500)
def propensity_nightly() -> dict:
    today = timezone.localdate()
    result = propensity.propensity_train(today=today)
    scoring = propensity_score_all(today=today)
    logger.info(
        "propensity: trained=%s auc=%s scored=%s", result.trained, result.auc, scoring.scored
    )
    return {
        "trained": result.trained,
        "auc": result.auc,
        "scored": scoring.scored,
        "method": scoring.method,
    }


@shared_task(name="insights.tasks.nps_sweep_task", time_limit=1800, soft_time_limit=1700)
def nps_sweep_task() -> int:
    return nps_sweep(today=timezone.localdate())


@shared_task(name="insights.tasks.import_job_task", time_limit=3600, soft_time_limit=3500)
def import_job_task(job_id: int) -> str | None:
    job = import_job_run(job_id=job_id)
    return job.status if job else None


@shared_task(name="insights.tasks.dashboard_warm_task", time_limit=600, soft_time_limit=570)
def dashboard_warm_task() -> list[str]:
    """Beat, every 4 minutes: the whole book's dashboard recomputed before it expires."""
    return dashboard_warm()

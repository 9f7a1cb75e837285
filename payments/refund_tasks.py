"""Tasks for refunds through the provider (payments/services/refunds.py): send one request
after the credit note's commit, and the sweep that sends what was missed and asks the
providers about what stayed pending. Routed to the ``sweeps`` queue."""

from __future__ import annotations

from celery import shared_task

from payments.services.refunds import refund_submit, refunds_sweep


@shared_task(acks_late=True)
def refund_submit_task(refund_id: int) -> str:
    return refund_submit(refund_id=refund_id).status


@shared_task(acks_late=True)
def refunds_sweep_task() -> int:
    return refunds_sweep()

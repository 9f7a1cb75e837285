"""Fixtures shared by the end-of-term processing tests (tests/lifecycle/)."""

from __future__ import annotations

import pytest

from lifecycle import contract_ends


@pytest.fixture
def notice(monkeypatch):
    """Every contract's renewal notice counts as delivered (the notifications app's
    answer); set ``notice["delivered"] = False`` for the opposite."""
    state = {"delivered": True}
    monkeypatch.setattr(
        "lifecycle.auto_renewal.renewal_notice_was_delivered", lambda contract: state["delivered"]
    )
    return state


@pytest.fixture
def small_chunks(monkeypatch):
    # Several chunks per step, so that the Celery run really shares them.
    monkeypatch.setattr(contract_ends, "CHUNK_SIZE", 2)
    monkeypatch.setattr(contract_ends, "AUTO_RENEW_CHUNK_SIZE", 2)


@pytest.fixture
def eager(settings):
    # Tasks (chunks, chord bodies) run in this process, one after the other.
    from config.celery_app import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous

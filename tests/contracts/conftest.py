"""Fixtures shared by the end-of-term processing tests (tests/contracts/test_ends*.py)."""

from __future__ import annotations

import pytest

from contracts import ends


@pytest.fixture
def notice(monkeypatch):
    """Every contract's renewal notice counts as delivered (the notifications app's
    answer); set ``notice["delivered"] = False`` for the opposite."""
    state = {"delivered": True}
    monkeypatch.setattr(
        "contracts.ends.renewal_notice_was_delivered", lambda contract: state["delivered"]
    )
    return state


@pytest.fixture
def small_chunks(monkeypatch):
    # Several chunks per step, so that the fan-out really shares them.
    monkeypatch.setattr(ends, "CHUNK_SIZE", 2)
    monkeypatch.setattr(ends, "AUTO_RENEW_CHUNK_SIZE", 2)


@pytest.fixture
def eager(settings):
    # Chunk tasks run in this process, so the local-memory cache is shared.
    settings.CELERY_TASK_ALWAYS_EAGER = True

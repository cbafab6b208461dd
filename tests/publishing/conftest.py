"""Fixtures of the publishing tests."""

import pytest


@pytest.fixture(autouse=True)
def _scheduler_chores_due():
    """Each test's first scheduler tick runs the chores (cut-offs, reconciliation)."""
    from django.core.cache import cache

    from publishing.scheduler import CHORES_KEY

    cache.delete(CHORES_KEY)

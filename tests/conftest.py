"""Fixtures shared by the whole suite, and the rule that CI never runs without its services."""

import os

import pytest
from django.conf import settings

from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"
EMBEDDED = os.environ.get("CRIEUR_TEST_BACKEND") == "embedded"


def pytest_configure(config):
    if not IN_CI or EMBEDDED:
        return
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        pytest.exit(
            f"CI=true but {', '.join(missing)} is not set: CI runs on PostgreSQL and Redis "
            "(see .ci/run). Refusing to fall back to the embedded default.",
            returncode=1,
        )


def pytest_collection_modifyitems(config, items):
    """Tests marked `services` need PostgreSQL and Redis: they fail in CI without them."""
    have_services = bool(os.environ.get("DATABASE_URL")) and bool(os.environ.get("REDIS_URL"))
    if have_services or IN_CI:
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def roles_people(db):
    """One user per role, keyed by role key."""
    from workflows.roles import ROLES

    return {role.key: factories.UserFactory(role=role) for role in ROLES}


@pytest.fixture
def image(db):
    return factories.ImageFactory()


@pytest.fixture(scope="session")
def _sandbox_server():
    from networks.sandbox.core import Sandbox

    server = Sandbox(secrets=SANDBOX_SECRETS, timeout_hold=1.0, seed=7).start()
    yield server
    server.stop()


SANDBOX_SECRETS = {
    "x": "sandbox-x-secret",
    "meta": "sandbox-meta-secret",
    "linkedin": "sandbox-linkedin-secret",
    "whatsapp": "sandbox-meta-secret",
}


@pytest.fixture
def sandbox(_sandbox_server, settings):
    """The sandbox networks, emptied, with every network address pointing at them.

    The real client libraries reach it through their own HTTP sessions; the client
    timeout is short so that the "timeout" fault (answer held 1 s) is quick.
    """
    from networks import budget

    _sandbox_server.reset()
    _sandbox_server.webhook_urls = {}
    budget.reset()  # a rate limit an earlier test provoked must not block this one
    settings.CRIEUR_SANDBOX_URL = _sandbox_server.url
    # Below the 1 s the "timeout" fault holds its answer, with room for a loaded machine.
    settings.CRIEUR_NETWORK_TIMEOUT = 0.8
    settings.CRIEUR_INSTAGRAM_POLL_SECONDS = 0
    settings.CRIEUR_INSTAGRAM_POLL_ATTEMPTS = 3
    settings.CRIEUR_LINKEDIN_POLL_SECONDS = 0
    settings.CRIEUR_X_POLL_SECONDS = 0
    return _sandbox_server


@pytest.fixture
def celery_eager():
    """Celery runs the tasks handed to it at once, in the test's process, and their errors
    reach the test (with `django_capture_on_commit_callbacks(execute=True)`, what a
    service enqueues after its commit)."""
    from crieur.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def webhook_items_received():
    """The webhook items networks hands on to the apps above, as a subscriber of its
    signal gets them: a list of (item, event id)."""
    from networks.signals import webhook_item_received

    found = []

    def receiver(sender, item, event_id, **kwargs):
        found.append((item, event_id))

    webhook_item_received.connect(receiver, dispatch_uid="tests-webhook-items-received")
    yield found
    webhook_item_received.disconnect(dispatch_uid="tests-webhook-items-received")


@pytest.fixture(autouse=True)
def _forget_renditions():
    """Ids come back after a rollback, but Wagtail's rendition cache would outlive the
    test and point at files of an earlier test's media folder."""
    from django.core.cache import caches

    caches["renditions"].clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


NETWORKS = ("x", "facebook", "instagram", "linkedin", "whatsapp")


@pytest.fixture
def five_accounts(db):
    """One connected account per network; the WhatsApp list has one subscriber."""
    from django.utils import timezone

    from publishing.broadcast import BroadcastSetup, Subscriber

    accounts = {network: factories.SocialAccountFactory(network=network) for network in NETWORKS}
    whatsapp = accounts["whatsapp"]
    BroadcastSetup.objects.create(account=whatsapp, template_name="actualites")
    Subscriber.objects.create(
        account=whatsapp, phone="+33612345678", opted_in_at=timezone.now(), source="keyword"
    )
    return accounts


__all__ = ["settings"]

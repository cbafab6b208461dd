"""The Celery broker on Redis: a worker outlives Redis going away."""

import pytest
import redis
from django.conf import settings
from kombu import Connection

from crieur.celery import RedisTransport

pytestmark = pytest.mark.services


def test_a_channel_that_cannot_close_keeps_no_other_channel_open():
    """When Redis goes away, the remote-control channel cannot delete its queue on close.
    The tasks' channel, holding the acks_late messages, must still be closed while the
    transport is attached: closed later, it crashed the worker's main process."""
    connection = Connection(settings.CELERY_BROKER_URL, transport=RedisTransport)
    tasks = connection.channel()
    remote_control = connection.channel()

    def refused():
        raise redis.exceptions.ConnectionError("Connection refused")

    remote_control.close = refused

    with pytest.raises(redis.exceptions.ConnectionError):
        connection.transport.close_connection(connection.connection)

    assert tasks.closed
    connection.release()

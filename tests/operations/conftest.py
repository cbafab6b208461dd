"""Builders for the operations tests: publications in a given state, as the engine leaves them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import Publication
from tests.factories import PostFactory, SocialAccountFactory


@pytest.fixture
def publication_in(db):
    """publication_in(state, network=..., due=timedelta before now, **fields)."""

    def build(state, *, network="x", due=timedelta(minutes=5), **fields):
        post = PostFactory()
        return Publication.objects.create(
            post=post,
            revision=post.save_revision(),
            account=SocialAccountFactory(network=network),
            scheduled_at=timezone.now() - due,
            state=state,
            **fields,
        )

    return build


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on: connecting to it is refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

"""The chaos bench attributes what each network created to its publication."""

import pytest

import networks
from bench._stack import NETWORKS, Run, make_posts, schedule, setup_accounts
from bench.chaos import creations
from cms.adaptation import outgoing
from publishing.models import Publication
from tests.factories import ImageFactory, jpeg_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(sandbox):
    """One post with a marker, sent once on each of the five networks as the engine does."""
    accounts = setup_accounts(1, Run())
    image = ImageFactory(file=jpeg_file(size=(800, 600)))
    (post,) = make_posts(
        accounts, image, count=1, label="Chaos", text=lambda i: f"Travaux (réf. chaos1s2n{i})."
    )
    pks = schedule([post], [post.first_published_at] * len(NETWORKS))
    by_marker = {}
    for publication in Publication.objects.filter(pk__in=pks).select_related("account"):
        network = publication.account.network
        variant = post.variants.get(account=publication.account)
        networks.get(network).publish(
            outgoing(variant), account=publication.account, key=f"crieur-{publication.pk}"
        )
        by_marker[(network, "chaos1s2n0")] = publication.pk
    return [r.to_dict() for r in sandbox.received], by_marker


def test_each_networks_post_is_its_publications_once(sent):
    items, by_marker = sent

    created = creations(items, set(by_marker.values()), by_marker)

    assert sorted(pk for pk, _recipient in created) == sorted(by_marker.values())
    assert set(created.values()) == {1}


def test_a_post_a_network_received_twice_counts_twice(sent):
    items, by_marker = sent
    again = [{**item, "id": item["id"] + 1000} for item in items]

    created = creations(items + again, set(by_marker.values()), by_marker)

    assert set(created.values()) == {2}
    assert len(created) == len(NETWORKS)

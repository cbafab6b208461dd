"""From the admin, an approved post adapted to five networks goes to the sandbox at once."""

import pytest
from django.urls import reverse

from cms.models import Post, PostImage, Variant
from networks.models import SocialAccount
from publishing.models import Attempt, Publication
from tests.factories import ImageFactory, jpeg_file
from workflows import roles

pytestmark = pytest.mark.django_db

TEXT = "Collecte des sapins du 2 au 20 janvier : 12 points dans la ville. #Recyclage"


NETWORKS = ("x", "facebook", "instagram", "linkedin", "whatsapp")


def approved_post(accounts, *, texts=None):
    texts = texts or {}
    post = Post(title="Sapins", text=TEXT, live=False)
    post.images = [
        PostImage(
            image=ImageFactory(file=jpeg_file(size=(1200, 900))),
            alt_text="Des sapins devant un panneau de collecte.",
        )
    ]
    post.variants = [
        Variant(account=account, text=texts.get(network, ""))
        for network, account in accounts.items()
    ]
    post.save()
    post.save_revision().publish()  # what finishing the circuit does
    return Post.objects.get(pk=post.pk)


def test_an_approved_post_reaches_all_five_networks(client, roles_people, sandbox, five_accounts):
    post = approved_post(five_accounts, texts={"x": "Sapins : 12 points de collecte #Recyclage"})
    client.force_login(roles_people[roles.ADMINISTRATOR.key])

    response = client.post(reverse("publishing_send_now", args=[post.pk]))

    assert response.status_code == 200
    states = {p.account.network: p.state for p in Publication.objects.all()}
    assert states == dict.fromkeys(five_accounts, Publication.State.PUBLISHED)
    assert all(p.remote_id for p in Publication.objects.all())
    assert all(p.revision_id == post.live_revision_id for p in Publication.objects.all())
    assert Attempt.objects.filter(outcome=Attempt.Outcome.PUBLISHED).count() == len(NETWORKS)
    tweet = sandbox.requests_to("x", method="POST", path="/2/tweets")[-1]
    assert tweet.json["text"] == "Sapins : 12 points de collecte #Recyclage"
    assert sandbox.requests_to("facebook", method="POST", path="/feed")
    assert sandbox.requests_to("instagram", method="POST", path="/media_publish")
    assert sandbox.requests_to("linkedin", method="POST", path="/rest/posts")
    assert sandbox.requests_to("whatsapp", method="POST", path="/messages")


def test_an_edit_after_approval_is_not_what_goes_out(client, roles_people, sandbox, five_accounts):
    x_only = {"x": five_accounts["x"]}
    post = approved_post(x_only, texts={"x": "Texte validé"})
    draft = post.get_latest_revision_as_object()
    [variant] = draft.variants.all()
    variant.text = "Texte modifié après validation"
    draft.variants = [variant]
    draft.save_revision()
    assert post.get_latest_revision_as_object().variants.get().text.startswith("Texte modifié")
    client.force_login(roles_people[roles.ADMINISTRATOR.key])

    client.post(reverse("publishing_send_now", args=[post.pk]))

    assert [r.json["text"] for r in sandbox.requests_to("x", path="/2/tweets")] == ["Texte validé"]


def test_an_expired_token_stops_the_account_after_one_attempt(
    client, roles_people, sandbox, five_accounts
):
    post = approved_post({"x": five_accounts["x"]})
    sandbox.inject("x", "expired_token", times=5)
    client.force_login(roles_people[roles.ADMINISTRATOR.key])

    client.post(reverse("publishing_send_now", args=[post.pk]))

    publication = Publication.objects.get()
    # Held, not failed: it goes out once the account is reconnected, within its cut-off.
    assert publication.state == Publication.State.SCHEDULED
    assert "reconnecté" in publication.error
    assert publication.attempts.get().outcome == Attempt.Outcome.AUTH_EXPIRED
    x = SocialAccount.objects.get(pk=five_accounts["x"].pk)
    assert x.status == SocialAccount.Status.NEEDS_RECONNECT
    # The first call was refused; nothing more was tried on that account.
    assert len([r for r in sandbox.received if r.network == "x"]) == 1

"""The composer: each account's version follows the master message until customised, takes
its own images with their alt texts, only the formats its network offers, and is
previewed live as its network will show it."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from cms.adaptation import outgoing
from cms.models import Post, PostImage, Variant
from cms.previews import post_network_previews
from cms.wagtail_hooks import post_edit_handler
from networks.models import SocialAccount
from tests.factories import ImageFactory, PostFactory, SocialAccountFactory, jpeg_file
from tests.forms import inline_rows, post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db

LONG = "Grand nettoyage des berges du lac samedi 14 juin, de 9 h à 12 h. " * 6


@pytest.fixture
def author(client, roles_people):
    user = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(user)
    return user


def post_with_photos(count=3, **fields):
    post = PostFactory(**fields)
    for number in range(count):
        PostImage.objects.create(
            post=post,
            image=ImageFactory(file=jpeg_file(name=f"berge{number}.jpg")),
            alt_text=f"Photo {number + 1} des berges.",
            sort_order=number,
        )
    return post


def sent(variant):
    return [(item.image_id, alt) for item, alt in variant.images_with_alt_texts()]


def photo_ids(post):
    return [item.image_id for item in post.images.all()]


# -- The model: the master message until customised -------------------------------------


def test_a_version_follows_the_master_text_and_images_until_customised(five_accounts):
    post = post_with_photos(text="Texte maître")
    one, two, three = photo_ids(post)
    version = Variant(post=post, account=five_accounts["x"])

    assert not version.is_customised
    assert version.effective_text == "Texte maître"
    assert sent(version) == [
        (one, "Photo 1 des berges."),
        (two, "Photo 2 des berges."),
        (three, "Photo 3 des berges."),
    ]

    version.media = [{"image": three, "alt_text": ""}, {"image": one, "alt_text": "Le lac."}]

    assert version.is_customised
    assert sent(version) == [(three, "Photo 3 des berges."), (one, "Le lac.")]


def test_an_image_taken_out_of_the_post_leaves_the_network_s_choice(five_accounts):
    post = post_with_photos()
    one, two, _three = photo_ids(post)
    version = Variant.objects.create(
        post=post,
        account=five_accounts["linkedin"],
        media=[{"image": two, "alt_text": ""}, {"image": one, "alt_text": ""}],
    )
    post.images.filter(image_id=two).delete()

    assert sent(Variant.objects.get(pk=version.pk)) == [(one, "Photo 1 des berges.")]


def test_an_empty_choice_sends_no_image_where_no_choice_sends_them_all(five_accounts):
    post = post_with_photos(count=2)

    none = Variant.objects.create(post=post, account=five_accounts["x"], media=[])
    every = Variant.objects.create(post=post, account=five_accounts["facebook"])

    assert sent(none) == [] and none.is_customised
    assert len(sent(every)) == 2 and not every.is_customised


def test_what_goes_out_is_the_network_s_choice_of_images_with_its_alt_texts(five_accounts):
    post = post_with_photos(count=3)
    one, _two, three = photo_ids(post)
    version = Variant.objects.create(
        post=post,
        account=five_accounts["linkedin"],
        media=[{"image": three, "alt_text": "Le kiosque."}, {"image": one, "alt_text": ""}],
    )

    out = outgoing(Variant.objects.get(pk=version.pk))

    assert [media.alt_text for media in out.images] == ["Le kiosque.", "Photo 1 des berges."]


def test_the_approved_revision_keeps_each_network_s_choice_of_images(roles_people, five_accounts):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    post = post_with_photos(count=2, created_by=author)
    one, two = photo_ids(post)
    post.variants = [
        Variant(account=five_accounts["instagram"], media=[{"image": two, "alt_text": "Vu."}])
    ]
    post.save()
    post.save_revision(user=author)
    post.get_workflow().start(post, author)
    Variant.objects.filter(post=post).update(media=[{"image": one, "alt_text": ""}])

    Post.objects.get(pk=post.pk).current_workflow_task_state.specific.approve(
        user=roles_people[roles.DIRECTOR.key]
    )

    [approved] = Post.objects.get(pk=post.pk).live_revision.as_object().variants.all()
    assert sent(approved) == [(two, "Vu.")]


# -- The editor: a form per account, formats, server-side checks ------------------------


def version_rows(rows, *, initial=0, **every):
    """The composer's `variants` formset: a row per account, unticked ones deleted;
    `every` are fields of every row."""
    data = inline_rows("variants", rows, max_num=1000)
    data["variants-INITIAL_FORMS"] = str(initial)
    for index, row in enumerate(rows):
        data.update({f"variants-{index}-{name}": value for name, value in {**every, **row}.items()})
    return data


def editor_form_data(post, accounts, *, ticked, **fields):
    """What the composer posts: a form per account, the unticked ones marked deleted."""
    data = post_form_data(title=post.title, text=post.text, **fields)
    rows = [
        {
            "account": str(account.pk),
            "text": "",
            "format": "feed",
            "thread_text": "",
            "media": "",
            "first_comment": "",
            **ticked.get(account.network, {"DELETE": "1"}),
        }
        for account in accounts
    ]
    data.update(version_rows(rows))
    return data


def test_the_editor_lists_every_account_not_disabled_with_its_formats(
    client, author, five_accounts
):
    SocialAccountFactory(network="x", display_name="Ancien compte", status="disabled")
    post = PostFactory(created_by=author)

    html = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk])).content.decode()

    assert html.count("data-composer-tick=") == len(five_accounts)
    assert "Ancien compte" not in html
    x = html[html.index('data-network="x" data-network-label') :]
    x = x[: x.index("</section>")]
    assert '<option value="thread"' in x and '<option value="story"' not in x
    facebook = html[html.index('data-network="facebook" data-network-label') :]
    facebook = facebook[: facebook.index("</section>")]
    assert "<select" not in facebook.split("data-composer-custom")[0]  # one format: none to choose


def test_only_the_ticked_accounts_get_a_version(client, author, five_accounts):
    post = PostFactory(created_by=author)
    accounts = list(SocialAccount.objects.all())

    response = client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
        editor_form_data(
            post,
            accounts,
            ticked={"x": {"text": "Court pour X"}, "instagram": {"DELETE": ""}},
        ),
    )

    assert response.status_code == 302
    saved = Post.objects.get(pk=post.pk).get_latest_revision_as_object()
    assert {v.account.network: v.text for v in saved.variants.all()} == {
        "x": "Court pour X",
        "instagram": "",
    }


def test_an_approver_s_untouched_form_changes_nothing(author, five_accounts):
    post = PostFactory(created_by=author)
    Variant.objects.create(post=post, account=five_accounts["x"])
    others = [a for a in SocialAccount.objects.all() if a.network != "x"]
    data = post_form_data(title=post.title, text=post.text)
    data.update(
        version_rows(
            [{"id": str(post.variants.get().pk), "account": str(five_accounts["x"].pk)}]
            + [{"account": str(a.pk), "DELETE": "1"} for a in others],
            format="feed",
            initial=1,
        )
    )
    form_class = post_edit_handler().bind_to_model(Post).get_form_class()

    form = form_class(data, instance=post, for_user=author)

    assert form.is_valid(), form.errors
    assert not form.formsets["variants"].has_changed()


@pytest.mark.parametrize(("network", "refused"), [("x", "story"), ("linkedin", "reel")])
def test_a_format_the_network_does_not_offer_is_refused_with_what_to_choose(
    client, author, five_accounts, network, refused
):
    post = PostFactory(created_by=author)

    with translation.override("en"):
        response = client.post(
            reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
            editor_form_data(
                post, list(SocialAccount.objects.all()), ticked={network: {"format": refused}}
            ),
        )

    assert response.status_code == 200
    assert not Variant.objects.exists()
    [version] = [
        form
        for form in response.context["form"].formsets["variants"].forms
        if form.composer_account.network == network
    ]
    [message] = version.errors["format"]
    assert f"“{refused.capitalize()}”" in message and "Feed post" in message


def test_a_saved_format_the_network_does_not_offer_is_a_blocking_problem(five_accounts):
    post = PostFactory()
    Variant.objects.create(post=post, account=five_accounts["facebook"], format="story")

    [preview] = post_network_previews(post=Post.objects.get(pk=post.pk))

    assert "format_unsupported" in [problem.code for problem in preview.problems]
    assert preview.blocking


def test_an_unreadable_choice_of_images_is_refused_and_the_text_kept(client, author, five_accounts):
    post = PostFactory(created_by=author)

    response = client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
        editor_form_data(
            post,
            list(SocialAccount.objects.all()),
            ticked={"x": {"text": "Mon texte pour X", "media": '[{"image": "la photo"}]'}},
        ),
    )

    assert response.status_code == 200
    assert not Variant.objects.exists()
    assert "Mon texte pour X" in response.content.decode()


def test_comparing_two_revisions_names_each_network_s_images(client, author, five_accounts):
    post = post_with_photos(count=1, created_by=author)
    [photo] = post.images.all()
    post.variants = [Variant(account=five_accounts["x"])]
    post.save()
    before = post.save_revision(user=author)
    [version] = post.variants.all()
    version.media = [{"image": photo.image_id, "alt_text": "Le lac vu du ponton."}]
    post.variants = [version]
    after = post.save_revision(user=author)

    html = client.get(
        reverse("wagtailsnippets_cms_post:revisions_compare", args=[post.pk, before.pk, after.pk])
    ).content.decode()

    assert "Le lac vu du ponton." in html and photo.image.title in html
    assert "alt_text" not in html


# -- The live preview ---------------------------------------------------------------------


def preview(client, body):
    return client.post(
        reverse("cms_composer_preview"), json.dumps(body), content_type="application/json"
    )


def test_each_version_is_previewed_live_as_its_network_shows_it(client, author, five_accounts):
    one, two = (ImageFactory(file=jpeg_file(name=f"p{n}.jpg")) for n in range(2))
    images = [
        {"image": one.pk, "alt_text": "Le lac au matin."},
        {"image": two.pk, "alt_text": "Le ponton."},
    ]
    versions = [
        {"key": "variants-0", "account": five_accounts["x"].pk, "text": ""},
        {"key": "variants-1", "account": five_accounts["linkedin"].pk, "text": "Pour LinkedIn"},
        {
            "key": "variants-2",
            "account": five_accounts["instagram"].pk,
            "media": [{"image": two.pk, "alt_text": "Le ponton, vu du lac."}],
        },
    ]

    answer = preview(client, {"text": LONG, "images": images, "versions": versions}).json()

    x, linkedin, instagram = answer["versions"]
    assert [x["key"], linkedin["key"], instagram["key"]] == [
        "variants-0",
        "variants-1",
        "variants-2",
    ]
    assert x["state"] == "problem" and x["length"] > x["maximum"] == 280
    assert "too_long" in [problem["code"] for problem in x["problems"]]
    assert linkedin["state"] == "ok" and linkedin["length"] == len("Pour LinkedIn")
    assert "Pour LinkedIn" in linkedin["html"] and LONG[:40] not in linkedin["html"]
    assert instagram["html"].count("<img") == 1
    assert 'alt="Le ponton, vu du lac."' in instagram["html"]


def test_the_preview_escapes_what_the_author_wrote(client, author, five_accounts):
    body = {
        "text": "<script>alert(1)</script>",
        "versions": [{"key": "k", "account": five_accounts["facebook"].pk}],
    }

    [card] = preview(client, body).json()["versions"]

    assert "<script>" not in card["html"] and "&lt;script&gt;" in card["html"]


def test_the_preview_answers_json_to_who_may_not_see_the_post(client, roles_people, five_accounts):
    client.force_login(roles_people[roles.MODERATOR.key])
    post = PostFactory()

    response = preview(client, {"post": post.pk, "text": "Bonjour", "versions": []})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_the_approvers_of_the_post_s_round_see_the_preview(client, roles_people, five_accounts):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    post = PostFactory(created_by=author)
    post.save_revision(user=author)
    post.get_workflow().start(post, author)
    client.force_login(roles_people[roles.DIRECTOR.key])
    body = {
        "post": post.pk,
        "text": "Bonjour",
        "versions": [{"key": "k", "account": five_accounts["x"].pk}],
    }

    response = preview(client, body)

    assert response.status_code == 200
    assert response.json()["versions"][0]["state"] == "ok"


def test_an_unreadable_preview_request_gets_a_json_error(client, author):
    response = client.post(
        reverse("cms_composer_preview"), "pas du JSON", content_type="text/plain"
    )

    assert response.status_code == 400
    assert "error" in response.json()


# -- The posts listing --------------------------------------------------------------------


def test_the_posts_listing_shows_and_sorts_by_the_planned_time(client, author):
    from datetime import UTC, datetime

    for title, day in [("Mardi", 3), ("Lundi", 2), ("Mercredi", 4)]:
        PostFactory(title=title, planned_at=datetime(2026, 6, day, 10, 0, tzinfo=UTC))

    page = client.get(reverse("wagtailsnippets_cms_post:list"), {"ordering": "planned_at"})

    html = page.content.decode()
    assert 'datetime="2026-06-02T12:00:00+02:00"' in html  # shown in local time
    assert html.index("Lundi") < html.index("Mardi") < html.index("Mercredi")
    descending = client.get(reverse("wagtailsnippets_cms_post:list"), {"ordering": "-planned_at"})
    html = descending.content.decode()
    assert html.index("Mercredi") < html.index("Mardi") < html.index("Lundi")

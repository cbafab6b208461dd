"""Words and names (issue 13, §3): each handle as its network shows it; Crieur's own
phrases where Wagtail's generic ones read badly in French; the institution's name in every
browser title; a level-one heading on the editor; no English on the sign-in page and the
dashboard of a French user."""

import re
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from wagtail.models import Workflow
from wagtail.users.models import UserProfile

from cms.adaptation import outgoing
from cms.models import Campaign, Post, Variant
from cms.previews import post_network_previews
from networks import get
from networks.display import handle_display
from tests.factories import (
    CampaignFactory,
    PostFactory,
    SocialAccountFactory,
    TerritoryFactory,
    UserFactory,
    post_with_variant,
)
from tests.forms import post_form_data
from workflows import roles
from workflows.external import approval_link_token
from workflows.models import ApprovalLink, ExternalApprover, ExternalRound, round_decide

pytestmark = pytest.mark.django_db

INSTITUTION = "Ville de Bourg-sur-Lac"

# The demo's accounts, handles typed as people type them: with their @, or a number.
DEMO_HANDLES = {
    "x": "@BourgSurLac",
    "instagram": "@bourgsurlac",
    "facebook": "bourgsurlac",
    "linkedin": "ville-de-bourg-sur-lac",
    "whatsapp": "+33600000000",
}


# -- reading pages ------------------------------------------------------------------------------


def visible(html: str) -> str:
    """What a person reads or hears: the text, and the attributes read out or shown."""
    html = re.sub(r"<(script|style|svg)\b.*?</\1>|<!--.*?-->", " ", html, flags=re.S)
    attributes = re.findall(r'\b(?:placeholder|aria-label|title|alt|value)="([^"]*)"', html)
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(" ".join([text, *attributes])))


def title_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.search(r"<title>(.*?)</title>", html, re.S)[1])).strip()


def level_one_headings(html: str) -> list[str]:
    found = re.findall(r"<h1\b[^>]*>(.*?)</h1>", html, flags=re.S)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", h))).strip() for h in found]


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def french(user):
    """The person reads the admin in French (their profile says so)."""
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "fr"
    profile.save()
    return user


@pytest.fixture
def admin_client(client):
    client.force_login(french(UserFactory(is_superuser=True)))
    return client


@pytest.fixture
def manager_client(client, roles_people):
    client.force_login(french(roles_people[roles.COMMUNITY_MANAGER.key]))
    return client


@pytest.fixture
def demo_accounts():
    return {
        network: SocialAccountFactory(network=network, handle=handle)
        for network, handle in DEMO_HANDLES.items()
    }


# -- handles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "typed", "shown"),
    [
        ("x", "@@BourgSurLac", "@BourgSurLac"),
        ("x", "BourgSurLac", "@BourgSurLac"),
        ("instagram", "@bourgsurlac", "@bourgsurlac"),
        ("instagram", " bourgsurlac ", "@bourgsurlac"),
        ("facebook", "@bourgsurlac", "bourgsurlac"),
        ("facebook", "Ville de Bourg-sur-Lac", "Ville de Bourg-sur-Lac"),
        ("linkedin", "ville-de-bourg-sur-lac", "ville-de-bourg-sur-lac"),
        ("whatsapp", "+33600000000", "+33 6 00 00 00 00"),
        ("whatsapp", "@+33 6 00 00 00 00", "+33 6 00 00 00 00"),
        ("whatsapp", "33612345678", "+33 6 12 34 56 78"),
        ("whatsapp", "0033 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("whatsapp", "06 12 34 56 78", "06 12 34 56 78"),
        ("whatsapp", "+1 631-555-0100", "+1 631 555 0100"),
        ("x", "", ""),
        ("whatsapp", "@", ""),
    ],
)
def test_a_handle_is_shown_as_its_network_shows_it(network, typed, shown):
    assert handle_display(network, typed) == shown
    assert SocialAccountFactory.build(network=network, handle=typed).handle_display == shown


def test_the_network_previews_show_one_at_where_the_network_uses_it_and_the_phone_number(
    demo_accounts,
):
    post = PostFactory()
    post.variants = [Variant(account=account) for account in demo_accounts.values()]
    post.save()

    with translation.override("fr"):
        cards = visible(
            render_to_string(
                "cms/includes/network_previews.html",
                {"previews": post_network_previews(post=Post.objects.get(pk=post.pk))},
            )
        )
        facebook = str(demo_accounts["facebook"].get_network_display())

    assert "X · @BourgSurLac" in cards
    assert "Instagram · @bourgsurlac" in cards
    assert f"{facebook} · bourgsurlac" in cards
    assert "LinkedIn · ville-de-bourg-sur-lac" in cards
    assert "WhatsApp · +33 6 00 00 00 00" in cards
    assert "@@" not in cards and "@+" not in cards


def test_the_accounts_listing_shows_each_handle_as_its_network_does(admin_client, demo_accounts):
    listing = visible(page(admin_client, reverse("wagtailsnippets_networks_socialaccount:list")))

    assert "@BourgSurLac" in listing and "@bourgsurlac" in listing
    assert "+33 6 00 00 00 00" in listing
    assert "@@" not in listing and "@+" not in listing


def test_a_post_on_x_links_to_the_account_without_the_at_typed_in_its_handle(sandbox):
    account = SocialAccountFactory(
        network="x",
        remote_id="1460000000000000042",
        handle="@BourgSurLac",
        credentials={"access_token": "sandbox-x-token-1460000000000000042"},
    )
    variant = post_with_variant(account, text="Marché nocturne vendredi sur le port.")

    ref = get("x").publish(outgoing(variant), account=account, key="crieur-1")

    assert ref.url == f"https://x.com/BourgSurLac/status/{ref.id}"


# -- Wagtail's generic phrases, worded for Crieur's models ---------------------------------------


@pytest.mark.parametrize(
    ("listing", "add"),
    [
        ("wagtailsnippets_cms_post:list", "Ajouter un message"),
        ("wagtailsnippets_cms_campaign:list", "Ajouter une campagne"),
        ("wagtailsnippets_cms_territory:list", "Ajouter un territoire"),
        ("wagtailsnippets_networks_socialaccount:list", "Ajouter un compte réseau"),
        ("wagtailsnippets_policies_period:list", "Ajouter une période bloquée"),
        ("wagtailsnippets_workflows_externalapprover:list", "Ajouter un valideur extérieur"),
        ("wagtailsnippets_publishing_subscriber:list", "Ajouter un inscrit WhatsApp"),
    ],
)
def test_each_listing_offers_to_add_with_the_right_article(admin_client, listing, add):
    text = visible(page(admin_client, reverse(listing)))

    assert add in text
    assert "un(e)" not in text


def test_the_add_form_is_a_new_post_in_its_title_heading_and_breadcrumb(manager_client):
    html = page(manager_client, reverse("wagtailsnippets_cms_post:add"))
    text = visible(html)

    assert title_of(html).startswith("Nouveau message - ")
    assert level_one_headings(html) == ["Nouveau message"]
    assert "Nouvel(le)" not in text and "Nouveau: " not in text


@pytest.mark.parametrize(
    ("listing", "new"),
    [
        ("wagtailsnippets_cms_campaign:add", "Nouvelle campagne"),
        ("wagtailsnippets_cms_territory:add", "Nouveau territoire"),
        ("wagtailsnippets_policies_period:add", "Nouvelle période bloquée"),
    ],
)
def test_other_add_forms_are_named_with_the_right_gender(admin_client, listing, new):
    html = page(admin_client, reverse(listing))

    assert level_one_headings(html) == [new]
    assert "Nouvel(le)" not in visible(html)


def test_the_edit_forms_have_one_level_one_heading_naming_the_object(manager_client, image):
    post = post_with_variant(SocialAccountFactory(), images=1).post
    campaign = CampaignFactory(name="Fête du lac 2027")

    post_page = page(manager_client, reverse("wagtailsnippets_cms_post:edit", args=[post.pk]))
    campaign_page = page(
        manager_client, reverse("wagtailsnippets_cms_campaign:edit", args=[campaign.pk])
    )

    [heading] = level_one_headings(post_page)
    assert post.title in heading
    [heading] = level_one_headings(campaign_page)
    assert "Fête du lac 2027" in heading


def test_the_editor_names_images_one_by_one_and_never_numbers_the_versions_heading(
    manager_client,
):
    post = post_with_variant(SocialAccountFactory(), images=2).post

    html = page(manager_client, reverse("wagtailsnippets_cms_post:edit", args=[post.pk]))

    assert "Ajouter une image" in visible(html)
    # Each image's heading is « Image » and its number (the number is written by the page).
    assert html.count("Image<span data-inline-panel-child-count>") >= 2
    assert "Versions par réseau<span data-inline-panel-child-count>" not in html
    assert "un(e)" not in visible(html)


def test_the_choosers_say_a_campaign_and_a_territory(manager_client):
    post = PostFactory(campaign=CampaignFactory(), territory=TerritoryFactory())

    add = visible(page(manager_client, reverse("wagtailsnippets_cms_post:add")))
    edit = visible(page(manager_client, reverse("wagtailsnippets_cms_post:edit", args=[post.pk])))
    modal = manager_client.get(reverse("wagtailsnippetchoosers_cms_campaign:choose")).json()

    assert "Choisir une campagne" in add and "Choisir un territoire" in add
    assert "Choisir une autre campagne" in edit and "Modifier cette campagne" in edit
    assert "Choisir un autre territoire" in edit and "Modifier ce territoire" in edit
    for wrong in ("Choisir campagne", "Choisir territoire", "un autre campagne", "ce/cette"):
        assert wrong not in add and wrong not in edit
    assert "Choisir une campagne" in visible(modal["html"])


def test_saving_and_deleting_a_campaign_say_so_in_the_feminine(manager_client, roles_people):
    added = manager_client.post(
        reverse("wagtailsnippets_cms_campaign:add"),
        {"name": "Été au lac", "colour": "#0a7c86", "editorial_line": "", "description": ""},
        follow=True,
    )
    campaign = Campaign.objects.get(name="Été au lac")
    admin = french(UserFactory(is_superuser=True))
    manager_client.force_login(admin)
    deleted = manager_client.post(
        reverse("wagtailsnippets_cms_campaign:delete", args=[campaign.pk]), follow=True
    )

    assert "Campagne « Été au lac » créée." in visible(added.content.decode())
    assert "Campagne « Été au lac » supprimée." in visible(deleted.content.decode())
    assert "créé(e)" not in visible(added.content.decode())


def test_saving_a_new_post_says_the_post_is_created(manager_client):
    response = manager_client.post(
        reverse("wagtailsnippets_cms_post:add"), post_form_data(title="Piscine"), follow=True
    )

    assert "Message « Piscine » créé." in visible(response.content.decode())


def test_a_search_that_finds_no_post_says_so_in_french(manager_client):
    PostFactory(title="Fermeture de la piscine")

    text = visible(page(manager_client, reverse("wagtailsnippets_cms_post:list"), q="zzyzx"))

    assert "Aucun message ne correspond à votre recherche ou à vos filtres." in text
    assert "Aucun(e)" not in text


# -- the dashboard: posts, not pages ------------------------------------------------------------


def test_the_dashboard_searches_and_counts_the_posts_not_pages(manager_client):
    PostFactory.create_batch(2)

    html = page(manager_client, reverse("wagtailadmin_home"))
    text = visible(html)

    search = re.search(r'<form[^>]*data-testid="dashboard-search".*?</form>', html, re.S)[0]
    assert f'action="{reverse("wagtailsnippets_cms_post:list")}"' in search
    assert 'name="q"' in search
    assert "Rechercher dans les messages…" in text
    assert "Rechercher toutes les pages" not in text
    summary = re.search(r'<section class="w-summary".*?</section>', html, re.S)[0]
    assert "2 messages" in visible(summary)
    assert reverse("wagtailadmin_explore_root") not in summary and "Page" not in visible(summary)
    # The sidebar's search looks in the posts too.
    sidebar = re.search(r'"wagtail.sidebar.SearchModule", "_args": \["([^"]+)"', html)[1]
    assert sidebar == reverse("wagtailsnippets_cms_post:list")


def test_the_sidebar_search_finds_posts(manager_client):
    PostFactory(title="Fermeture de la piscine")
    PostFactory(title="Marché de Noël")

    text = visible(page(manager_client, reverse("wagtailsnippets_cms_post:list"), q="piscine"))

    assert "Fermeture de la piscine" in text and "Marché de Noël" not in text


# -- sent back: how, only when it is not in Crieur ------------------------------------------------


@pytest.fixture
def sensitive_post_at_elected_round(roles_people, django_capture_on_commit_callbacks):
    """A post of the Sensitive circuit the director approved: Élise's link is out."""
    approver = ExternalApprover.objects.create(
        name="Élise Petit", function="Maire adjointe", email="elise.petit@example.org"
    )
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(approver)
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    circuit = Workflow.objects.get(name=roles.SENSITIVE.name)
    post = PostFactory(approval_workflow=circuit, created_by=author, title="Travaux du pont")
    post.save_revision(user=author)
    with django_capture_on_commit_callbacks(execute=True):
        circuit.start(post, author)
    with django_capture_on_commit_callbacks(execute=True):
        round_decide(
            task_state=post.current_workflow_task_state.specific,
            verdict="approve",
            user=roles_people[roles.DIRECTOR.key],
        )
    return post


def test_a_post_sent_back_in_crieur_names_the_approver_alone(
    manager_client, roles_people, django_capture_on_commit_callbacks
):
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    director = roles_people[roles.DIRECTOR.key]
    post = PostFactory(created_by=author, title="Fête du lac")
    post.save_revision(user=author)
    with django_capture_on_commit_callbacks(execute=True):
        post.get_workflow().start(post, author)
        post = Post.objects.get(pk=post.pk)
        round_decide(
            task_state=post.current_workflow_task_state.specific,
            verdict="reject",
            comment="Ajoutez l'horaire.",
            user=director,
        )

    text = visible(page(manager_client, reverse("wagtailadmin_home")))

    assert director.get_full_name() in text
    assert "(Dans Crieur)" not in text and "(In Crieur)" not in text


def test_a_post_sent_back_by_e_mail_link_says_so_after_the_name(
    manager_client, client, sensitive_post_at_elected_round
):
    token = approval_link_token(ApprovalLink.objects.get())
    client.post(
        reverse("workflows:external_approval", args=[token]),
        {"verdict": "reject", "comment": "Retirez le nom du prestataire."},
    )

    text = visible(page(manager_client, reverse("wagtailadmin_home")))

    assert "Élise Petit (par lien e-mail)" in text


# -- the institution's name in the browser's title ---------------------------------------------


def admin_pages_without_parameters():
    """The admin's addresses that take no parameter (Wagtail's and Crieur's)."""

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern).lstrip("^").rstrip("$")
            if re.search(r"[<>()\[\]^$*+?\\]", route):
                continue  # takes a parameter
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield "/" + route

    admin = reverse("wagtailadmin_home")
    return sorted({url for url in walk(get_resolver().url_patterns, "") if url.startswith(admin)})


def test_every_admin_page_title_ends_with_the_institution_name(admin_client, settings):
    settings.WAGTAIL_SITE_NAME = INSTITUTION
    post = post_with_variant(SocialAccountFactory()).post
    urls = [
        *admin_pages_without_parameters(),
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
    ]

    checked = []
    for url in urls:
        if "logout" in url or "failwhale" in url:  # signs out; raises on purpose
            continue
        response = admin_client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        if "<title>" not in html:
            continue  # a fragment (a listing's results, a modal)
        checked.append(url)
        assert title_of(html).endswith(f"Crieur · {INSTITUTION}"), (url, title_of(html))

    assert reverse("wagtailadmin_home") in checked
    assert reverse("wagtailsnippets_cms_post:add") in checked
    assert len(checked) > 20


def test_the_sign_in_page_title_ends_with_the_institution_name(client, settings):
    settings.WAGTAIL_SITE_NAME = INSTITUTION

    html = page(client, reverse("wagtailadmin_login"))

    assert title_of(html).endswith(f"Crieur · {INSTITUTION}")


def test_the_external_approval_page_title_ends_with_the_institution_name(
    client, settings, sensitive_post_at_elected_round
):
    settings.WAGTAIL_SITE_NAME = INSTITUTION
    token = approval_link_token(ApprovalLink.objects.get())

    html = page(client, reverse("workflows:external_approval", args=[token]))

    assert title_of(html).endswith(INSTITUTION)


def test_without_an_institution_name_the_title_says_crieur_once(admin_client, settings):
    settings.WAGTAIL_SITE_NAME = "Crieur"

    html = page(admin_client, reverse("wagtailadmin_home"))

    assert title_of(html).endswith(" - Crieur")
    assert "Crieur · Crieur" not in title_of(html)


# -- no English left for a French user ---------------------------------------------------------

# Words of Wagtail's and Crieur's English that a French page must not show.
ENGLISH = re.compile(
    r"\b(Password|Username|Sign in|Sign out|Log out|Forgotten|Remember me|Search|Dashboard|"
    r"Welcome|Skip to|Loading|Account|Add|New|Choose|Edit|Delete|Save|Cancel|Close|Pages?|"
    r"the|and|your|you|to|of|is|are|with|for|this|that|created in)\b"
)


def test_the_sign_in_page_is_in_french_password_included(client):
    html = page(client, reverse("wagtailadmin_login"))
    text = visible(html)

    assert re.search(r'<label[^>]*for="id_password"[^>]*>\s*Mot de passe', html)
    assert ENGLISH.findall(text) == []


def test_the_dashboard_of_a_french_community_manager_has_no_english(manager_client):
    PostFactory()

    text = visible(page(manager_client, reverse("wagtailadmin_home")))

    assert ENGLISH.findall(text) == []

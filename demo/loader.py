"""The demo installation: an institution, one person per role, a campaign, posts in every state.

Loading twice changes nothing: every object is looked up by a natural key first.
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image
from wagtail.models import Workflow

from cms.models import Campaign, Post, PostImage, Territory, Variant
from networks.models import Network, SocialAccount
from policies.models import Period
from publishing.broadcast import BroadcastSetup, Subscriber
from workflows import roles
from workflows.models import ExternalApprover, ExternalRound, RoleRound, round_decide

DEMO_PASSWORD = "crieur-demo"  # noqa: S105 - printed on purpose: demo accounts only


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    role: roles.Role


PEOPLE = (
    DemoPerson("camille", "Camille", "Martin", roles.COMMUNITY_MANAGER),
    DemoPerson("dominique", "Dominique", "Bernard", roles.DIRECTOR),
    DemoPerson("elise", "Élise", "Petit", roles.ELECTED_OFFICIAL),
    DemoPerson("malik", "Malik", "Durand", roles.MODERATOR),
    DemoPerson("claire", "Claire", "Leroy", roles.CRISIS_CELL),
    # Two in the crisis cell: the fast track still needs someone other than the author.
    DemoPerson("samir", "Samir", "Haddad", roles.CRISIS_CELL),
    DemoPerson("alex", "Alex", "Moreau", roles.ADMINISTRATOR),
)


def _person(person: DemoPerson):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=person.username,
        defaults={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": f"{person.username}@demo.crieur.invalid",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=person.role.group_name))
    return user


def _demo_image(title: str, colour: str) -> Image:
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    picture = PILImage.new("RGB", (1200, 900), colour)
    ImageDraw.Draw(picture).rectangle((100, 500, 1100, 800), fill="white")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Image.objects.create(
        title=title, file=ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.png")
    )


# network, display name, handle, remote id: the sandbox networks know these accounts.
ACCOUNTS = (
    (Network.FACEBOOK, "Ville de Bourg-sur-Lac", "bourgsurlac", "104001"),
    (Network.INSTAGRAM, "Bourg-sur-Lac", "@bourgsurlac", "178401"),
    (Network.X, "Bourg-sur-Lac", "@BourgSurLac", "2001"),
    (
        Network.LINKEDIN,
        "Ville de Bourg-sur-Lac",
        "ville-de-bourg-sur-lac",
        "urn:li:organization:3003",
    ),
    (Network.WHATSAPP, "Bourg-sur-Lac Infos", "+33 6 00 00 00 00", "4004"),
)


def _account(network, name, handle, remote_id) -> SocialAccount:
    account = SocialAccount.objects.filter(network=network, display_name=name).first()
    if account is None:
        account = SocialAccount(network=network, display_name=name, handle=handle)
    if not account.remote_id or not account.credentials:
        account.remote_id = remote_id
        # Tokens the sandbox networks accept; stored encrypted like real ones.
        account.credentials = {"access_token": f"sandbox-demo-{network}"}
        if network == Network.WHATSAPP:
            account.credentials["waba_id"] = "4005"
        account.save()
    return account


def _whatsapp_list(account, territories) -> None:
    """The WhatsApp broadcast list: the approved template, and three people who opted in."""
    BroadcastSetup.objects.get_or_create(
        account=account, defaults={"template_name": "actualites", "template_language": "fr"}
    )
    for phone, territory in (
        ("+33611111111", None),
        ("+33622222222", "Centre-ville"),
        ("+33633333333", "Hauts-de-Bourg"),
    ):
        Subscriber.objects.get_or_create(
            account=account,
            phone=phone,
            defaults={
                "territory": territories[territory] if territory else None,
                "opted_in_at": timezone.now(),
                "source": Subscriber.Source.KEYWORD,
            },
        )


# One post adapted to all five networks, approved: ready to be sent to the sandbox.
FIVE_NETWORKS_TITLE = "Collecte des sapins de Noël"
FIVE_NETWORKS_TEXT = (
    "Après les fêtes, déposez votre sapin dans l'un des 12 points de collecte du 2 au "
    "20 janvier : il sera broyé et servira de paillage dans les parcs de la ville. "
    "Carte des points : https://www.bourg-sur-lac.fr/sapins #Recyclage #BourgSurLac"
)
FIVE_NETWORKS_VERSIONS = {
    Network.X: "Sapins de Noël : 12 points de collecte du 2 au 20 janvier, broyés en "
    "paillage pour nos parcs 🌲 https://www.bourg-sur-lac.fr/sapins #Recyclage",
    Network.LINKEDIN: "Économie circulaire (suite) : les sapins collectés du 2 au 20 janvier "
    "[12 points] deviennent le paillage des parcs de la ville. #Recyclage",
    Network.WHATSAPP: "🌲 Sapins : déposez-le du 2 au 20 janvier dans un des 12 points de "
    "collecte. Carte : https://www.bourg-sur-lac.fr/sapins",
}

# Each network's choice of the post's two photos (the others take both, with the post's
# alt texts): X and WhatsApp the first only (WhatsApp takes one image), Instagram both,
# the first with an alt text of its own.
FIVE_NETWORKS_MEDIA = {
    Network.X: lambda collect, mulch: [{"image": collect.pk, "alt_text": ""}],
    Network.WHATSAPP: lambda collect, mulch: [{"image": collect.pk, "alt_text": ""}],
    Network.INSTAGRAM: lambda collect, mulch: [
        {
            "image": collect.pk,
            "alt_text": "Une dizaine de sapins de Noël couchés au pied d'un panneau vert "
            "« Point de collecte des sapins ».",
        },
        {"image": mulch.pk, "alt_text": ""},
    ],
}


def _five_networks_post(author, director, accounts, territory):
    if Post.objects.filter(title=FIVE_NETWORKS_TITLE).exists():
        return
    image = _demo_image("Sapins collecte", "#1e6b3a")
    mulch = _demo_image("Sapins broyés", "#7a5c2e")
    post = Post(
        title=FIVE_NETWORKS_TITLE,
        text=FIVE_NETWORKS_TEXT,
        territory=territory,
        approval_workflow=Workflow.objects.get(name="Standard"),
        created_by=author,
        live=False,
        planned_at=_days_ahead(1, 11),
    )
    post.images = [
        PostImage(
            image=image,
            alt_text="Des sapins de Noël déposés devant un panneau « Point de collecte ».",
        ),
        PostImage(
            image=mulch,
            alt_text="Du paillage de sapins broyés au pied d'un massif, dans un parc.",
        ),
    ]
    post.variants = [
        Variant(
            account=account,
            text=FIVE_NETWORKS_VERSIONS.get(network, ""),
            media=FIVE_NETWORKS_MEDIA[network](image, mulch)
            if network in FIVE_NETWORKS_MEDIA
            else None,
        )
        for network, account in accounts.items()
    ]
    post.save()
    post.save_revision(user=author)
    post.get_workflow().start(post, author)
    _decide(post, director, "approve", "Validé pour les cinq réseaux.")


def _decide(post, person, verdict: str, comment: str = "") -> None:
    """A decision taken the way a person takes it in the admin (it enters the trail)."""
    post = Post.objects.get(pk=post.pk)
    round_decide(
        task_state=post.current_workflow_task_state.specific,
        verdict=verdict,
        comment=comment,
        user=person,
    )


def _approval_setup() -> None:
    """The elected official approves by e-mail link; the direction has two days."""
    approver, _ = ExternalApprover.objects.get_or_create(
        email="elise.petit@demo.crieur.invalid",
        defaults={"name": "Élise Petit", "function": "Maire adjointe à la communication"},
    )
    ExternalRound.objects.get(name=roles.ELECTED_ROUND.name).approvers.add(approver)
    RoleRound.objects.filter(name=roles.DIRECTOR_ROUND.name, deadline_hours=None).update(
        deadline_hours=48, reminder_hours=8
    )


def _days_ahead(days: int, hour: int):
    """A local time `days` from today at `hour` o'clock: the demo's calendar is current."""
    local = timezone.localtime() + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


# Days ahead and hour each demo post is planned for, by title.
PLANNED = {
    "Marché de Noël — annonce": (2, 10),
    "Travaux rue Victor-Hugo": (3, 9),
    "Fête du lac : le programme": (5, 18),
    "Nouvelle ligne de bus 7": (4, 8),
    "Budget participatif : les résultats": (6, 12),
}


POSTS = (
    # title, text, state, workflow name, territory
    (
        "Marché de Noël — annonce",
        "Le marché de Noël ouvre le 5 décembre place de la Mairie ! 🎄 "
        "60 exposants, des animations pour les enfants. #MarchéDeNoël",
        "draft",
        "Standard",
        "Centre-ville",
    ),
    (
        "Travaux rue Victor-Hugo",
        "Travaux de voirie rue Victor-Hugo du 1er au 12 décembre : circulation alternée "
        "de 8 h à 17 h. Plus d'infos : https://www.bourg-sur-lac.fr/travaux #Travaux",
        "in_round",
        "Standard",
        "Quartier des Rives",
    ),
    (
        "Fête du lac : le programme",
        "La Fête du lac revient les 12 et 13 juin ! Concerts, régates et feu d'artifice "
        "samedi à 23 h. Tout le programme : https://www.bourg-sur-lac.fr/fete-du-lac "
        "#FêteDuLac",
        "approved",
        "Standard",
        "Centre-ville",
    ),
    (
        "Nouvelle ligne de bus 7",
        "À partir de lundi, la ligne 7 relie la gare aux Hauts-de-Bourg toutes les 15 "
        "minutes. #Mobilité",
        "sent_back",
        "Standard",
        "Hauts-de-Bourg",
    ),
    (
        "Budget participatif : les résultats",
        "Les habitantes et habitants ont choisi : 12 projets seront réalisés en 2027 "
        "grâce au budget participatif. Découvrez-les : https://www.bourg-sur-lac.fr/bp",
        "second_round",
        "Sensible",
        "Centre-ville",
    ),
)


def demo_load() -> list:
    """Create the demo data if missing; return the demo people."""
    with transaction.atomic():
        people = {}
        for person in PEOPLE:  # the first person of each role stands for it
            people.setdefault(person.role.key, _person(person))
        _approval_setup()
        author = people[roles.COMMUNITY_MANAGER.key]
        director = people[roles.DIRECTOR.key]

        territories = {
            name: Territory.objects.get_or_create(name=name)[0]
            for name in ("Centre-ville", "Quartier des Rives", "Hauts-de-Bourg")
        }
        campaign, _ = Campaign.objects.get_or_create(
            name="Fête du lac 2027",
            defaults={
                "starts_on": date(2027, 5, 15),
                "ends_on": date(2027, 6, 14),
                "colour": "#0a7c86",
                "editorial_line": "Ton festif, tutoiement interdit, toujours l'heure et le lieu.",
                "description": "Annonces et programme de la Fête du lac.",
            },
        )
        accounts = {spec[0]: _account(*spec) for spec in ACCOUNTS}
        image = _demo_image("Fête du lac affiche", "#0a7c86")
        for title, text, state, workflow_name, territory in POSTS:
            if Post.objects.filter(title=title).exists():
                continue
            post = Post(
                title=title,
                text=text,
                territory=territories[territory],
                campaign=campaign if "lac" in title else None,
                approval_workflow=Workflow.objects.get(name=workflow_name),
                created_by=author,
                live=False,
                planned_at=_days_ahead(*PLANNED[title]),
            )
            if "lac" in title:
                post.images = [
                    PostImage(
                        image=image,
                        alt_text="Affiche de la Fête du lac : un voilier sur le lac au "
                        "coucher du soleil.",
                    )
                ]
            # Facebook takes the master text; X gets its own short version.
            post.variants = [
                Variant(account=accounts[Network.FACEBOOK]),
                Variant(account=accounts[Network.X], text=text[:200]),
            ]
            post.save()
            post.save_revision(user=author)
            if state == "draft":
                continue
            post.get_workflow().start(post, author)
            if state == "in_round":
                continue
            if state == "sent_back":
                _decide(
                    post,
                    director,
                    "reject",
                    "Précisez les horaires du samedi et du dimanche, s'il vous plaît.",
                )
                continue
            # "approved" finishes the Standard circuit; "second_round" moves on to the
            # elected official's round of the Sensitive one (her link goes by e-mail).
            _decide(post, director, "approve", "Parfait, merci.")
        _whatsapp_list(accounts[Network.WHATSAPP], territories)
        Period.objects.get_or_create(
            name="Réserve électorale (démo)",
            defaults={
                "kind": Period.Kind.RESERVE,
                "starts_at": _days_ahead(30, 0),
                "ends_at": _days_ahead(45, 0),
                "reason": "Période de réserve avant les élections : aucune communication "
                "promotionnelle.",
            },
        )
        _five_networks_post(author, director, accounts, territories["Centre-ville"])
    return [get_user_model().objects.get(username=person.username) for person in PEOPLE]

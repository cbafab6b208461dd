"""The roles of Crieur and exactly the permissions each holds.

A role is a Django group. Group names are in French (they are data the users read);
code refers to roles through the constants below, never by a typed name.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Role:
    key: str
    group_name: str
    permissions: frozenset[str]
    # Wagtail collection permissions (images, documents) on the root collection.
    collection_permissions: frozenset[str] = field(default_factory=frozenset)


ADMIN_ACCESS = {"wagtailadmin.access_admin"}
MEDIA_AUTHOR = frozenset(
    {
        "wagtailimages.add_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.choose_document",
    }
)
POST_AUTHOR = {
    "cms.add_post",
    "cms.change_post",
    "cms.delete_post",
    "cms.view_post",
    "cms.lock_post",
    "cms.unlock_post",
    "cms.view_campaign",
    "cms.view_territory",
    "taggit.add_tag",
    "taggit.view_tag",
}

COMMUNITY_MANAGER = Role(
    key="community_manager",
    group_name="Community managers",
    permissions=frozenset(
        ADMIN_ACCESS
        | POST_AUTHOR
        | {"cms.add_campaign", "cms.change_campaign", "cms.add_territory", "cms.change_territory"}
    ),
    collection_permissions=MEDIA_AUTHOR,
)
DIRECTOR = Role(
    key="director",
    group_name="Direction de la communication",
    permissions=frozenset(
        ADMIN_ACCESS | {"cms.view_post", "cms.view_campaign", "cms.view_territory"}
    ),
    collection_permissions=frozenset({"wagtailimages.choose_image", "wagtaildocs.choose_document"}),
)
ELECTED_OFFICIAL = Role(
    key="elected_official",
    group_name="Élus",
    permissions=frozenset(ADMIN_ACCESS | {"cms.view_post"}),
)
MODERATOR = Role(
    key="moderator",
    group_name="Modération",
    permissions=frozenset(ADMIN_ACCESS | {"cms.view_post", "cms.view_campaign"}),
)
CRISIS_CELL = Role(
    key="crisis_cell",
    group_name="Cellule de crise",
    permissions=frozenset(ADMIN_ACCESS | POST_AUTHOR),
    collection_permissions=MEDIA_AUTHOR,
)
ADMINISTRATOR = Role(
    key="administrator",
    group_name="Administration",
    permissions=frozenset(
        ADMIN_ACCESS
        | {
            "auth.add_user",
            "auth.change_user",
            "auth.delete_user",
            "auth.view_user",
            "auth.view_group",
            "auth.change_group",
            "cms.view_post",
            "cms.add_campaign",
            "cms.change_campaign",
            "cms.delete_campaign",
            "cms.view_campaign",
            "cms.add_territory",
            "cms.change_territory",
            "cms.delete_territory",
            "cms.view_territory",
            "networks.add_socialaccount",
            "networks.change_socialaccount",
            "networks.delete_socialaccount",
            "networks.view_socialaccount",
            "publishing.view_publication",
            "publishing.send_now",
            "publishing.add_broadcastsetup",
            "publishing.change_broadcastsetup",
            "publishing.view_broadcastsetup",
            "publishing.view_subscriber",
            "publishing.change_subscriber",
            "publishing.delete_subscriber",
            "policies.add_period",
            "policies.change_period",
            "policies.delete_period",
            "policies.view_period",
            "wagtailcore.add_workflow",
            "wagtailcore.change_workflow",
            "wagtailcore.delete_workflow",
            "wagtailcore.view_workflow",
            "wagtailcore.add_task",
            "wagtailcore.change_task",
            "wagtailcore.delete_task",
            "wagtailcore.view_task",
            "workflows.add_externalapprover",
            "workflows.change_externalapprover",
            "workflows.delete_externalapprover",
            "workflows.view_externalapprover",
        }
    ),
    collection_permissions=MEDIA_AUTHOR
    | {"wagtailimages.change_image", "wagtailimages.delete_image", "wagtaildocs.change_document"},
)

ROLES: tuple[Role, ...] = (
    COMMUNITY_MANAGER,
    DIRECTOR,
    ELECTED_OFFICIAL,
    MODERATOR,
    CRISIS_CELL,
    ADMINISTRATOR,
)

# Nobody holds cms.publish_post: a post is approved only by finishing its approval circuit.


@dataclass(frozen=True)
class Round:
    name: str
    role: Role | None = None
    # "role": the role's members decide in Crieur; "external": people without an account
    # decide by e-mail link (and the role's members in Crieur); "policy": automatic.
    kind: str = "role"


@dataclass(frozen=True)
class Circuit:
    name: str
    rounds: tuple[Round, ...]
    default_for_posts: bool = False
    # Only the members of this role may send a post through this circuit.
    reserved_to: Role | None = None


POLICY_ROUND = Round(name="Contrôle automatique", kind="policy")
DIRECTOR_ROUND = Round(name="Validation par la direction", role=DIRECTOR)
ELECTED_ROUND = Round(name="Validation par l'élu·e", role=ELECTED_OFFICIAL, kind="external")
CRISIS_ROUND = Round(name="Validation par la cellule de crise", role=CRISIS_CELL)

STANDARD = Circuit(name="Standard", rounds=(POLICY_ROUND, DIRECTOR_ROUND), default_for_posts=True)
SENSITIVE = Circuit(name="Sensible", rounds=(POLICY_ROUND, DIRECTOR_ROUND, ELECTED_ROUND))
FAST_TRACK = Circuit(
    name="Crise — procédure accélérée", rounds=(CRISIS_ROUND,), reserved_to=CRISIS_CELL
)
CIRCUITS: tuple[Circuit, ...] = (STANDARD, SENSITIVE, FAST_TRACK)


def circuit_refused_to(user, workflow) -> bool:
    """Whether `user` may not send a post through `workflow` (a reserved circuit)."""
    for circuit in CIRCUITS:
        if circuit.name == workflow.name and circuit.reserved_to is not None:
            return not (
                user.is_superuser
                or user.groups.filter(name=circuit.reserved_to.group_name).exists()
            )
    return False

"""What the apps above cms tell it about posts, through the Wagtail hooks named here.

cms sits low in the layers (only networks is below it): it never imports the apps that
approve or publish posts. Where the post editor, removing a post or protecting its media
needs them, cms asks these hooks, and each app registers its answers in its own
`wagtail_hooks.py` (Wagtail finds those modules the first time a hook is asked for).
"""

from collections.abc import Iterable

from django.db.models import QuerySet
from wagtail import hooks

# Panels placed under the networks in the post editor's composer: fn() -> list[Panel].
NETWORKS_TAB_PANELS = "crieur_post_networks_tab_panels"
# Buttons of the post editor's "more" menu: fn(post, user) -> Iterable[Button].
EDIT_BUTTONS = "crieur_post_edit_buttons"
# Whether a person may not send posts through an approval circuit (a Wagtail
# Workflow): fn(user, workflow) -> bool.
CIRCUIT_REFUSED = "crieur_circuit_refused"
# Whether an app keeps a record of the post (decisions, publications), which makes it
# a public record to archive rather than delete: fn(post) -> bool.
POST_KEEPS_TRAIL = "crieur_post_keeps_trail"
# Called inside the archiving transaction, before the post is withdrawn: fn(post, by).
POST_ARCHIVING = "crieur_post_archiving"
# The revisions that may still go out and so must not change under their media:
# fn() -> QuerySet of revision ids (`values("revision_id")`).
REVISIONS_TO_GO_OUT = "crieur_revisions_to_go_out"
# Whether a document went out with a post, so that anyone may read it:
# fn(document_id) -> bool.
DOCUMENT_GONE_OUT = "crieur_document_gone_out"


def networks_tab_panels() -> list:
    return [panel for fn in hooks.get_hooks(NETWORKS_TAB_PANELS) for panel in fn()]


def edit_buttons(*, post, user) -> list:
    return [button for fn in hooks.get_hooks(EDIT_BUTTONS) for button in fn(post, user)]


def circuit_refused(*, user, workflow) -> bool:
    return any(fn(user, workflow) for fn in hooks.get_hooks(CIRCUIT_REFUSED))


def trail_kept_elsewhere(*, post) -> bool:
    return any(fn(post) for fn in hooks.get_hooks(POST_KEEPS_TRAIL))


def post_archiving(*, post, by) -> None:
    for fn in hooks.get_hooks(POST_ARCHIVING):
        fn(post, by)


def revisions_to_go_out() -> Iterable[QuerySet]:
    return [fn() for fn in hooks.get_hooks(REVISIONS_TO_GO_OUT)]


def document_gone_out(*, document_id: int) -> bool:
    return any(fn(document_id) for fn in hooks.get_hooks(DOCUMENT_GONE_OUT))

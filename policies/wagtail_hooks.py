"""The policy part of the admin: the periods when nothing may be scheduled."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from networks.wording import WordedViewSetMixin, Wording

from .models import Period


class PeriodViewSet(WordedViewSetMixin, SnippetViewSet):
    """Administrators set the freezes and the pre-election reserve; the calendar and the
    scheduling services refuse times inside them, with the reason."""

    model = Period
    icon = "warning"
    menu_label = _("Blocked periods")
    add_to_settings_menu = True
    wording = Wording(
        add=_("Add a blocked period"),
        new=_("New blocked period"),
        created=_("Blocked period “%(object)s” created."),
        updated=_("Blocked period “%(object)s” saved."),
        deleted=_("Blocked period “%(object)s” deleted."),
        no_match=_("No blocked period matches your search or filters."),
    )
    list_display = ["name", "kind", "starts_at", "ends_at"]
    list_filter = ["kind"]
    ordering = ["-starts_at"]
    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("reason"),
    ]


register_snippet(PeriodViewSet)

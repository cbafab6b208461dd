"""Administrators manage the external approvers (elected officials without an account)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from networks.wording import WordedViewSetMixin, Wording

from .models import ExternalApprover


class ExternalApproverViewSet(WordedViewSetMixin, SnippetViewSet):
    model = ExternalApprover
    icon = "user"
    menu_label = _("External approvers")
    add_to_settings_menu = True
    wording = Wording(
        add=_("Add an external approver"),
        new=_("New external approver"),
        created=_("External approver “%(object)s” created."),
        updated=_("External approver “%(object)s” saved."),
        deleted=_("External approver “%(object)s” deleted."),
        no_match=_("No external approver matches your search or filters."),
    )
    list_display = ["name", "function", "email", "active"]
    list_filter = ["active"]
    search_fields = ["name", "email"]
    ordering = ["name"]
    panels = [
        FieldPanel("name"),
        FieldPanel("function"),
        FieldPanel("email"),
        FieldPanel("active"),
    ]


register_snippet(ExternalApproverViewSet)

"""The cms part of the admin: posts, campaigns and territories, with search and filters."""

from django import forms
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from publishing.panels import NetworkChecksPanel

from .forms import PostForm
from .models import MAX_POST_IMAGES, Campaign, Post, Territory
from .views import FieldChangesView, PostCreateView, PostEditView, changes_edit_view
from .widgets import ColourInput


class ApprovalStatusColumn(Column):
    """Draft, in a round, approved or sent back: what the team asks first about a post."""

    cell_template_name = "cms/columns/approval_status.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["status"] = instance.approval_status
        return context


class ReviewerURLFinderMixin:
    """Links to the editor for the people of the post's current round, not only its editors.

    Approvers hold no change permission, yet Wagtail opens the editor to them while
    the post is in their round; without this, the dashboard would list their posts
    without a link.
    """

    def get_edit_url(self, instance):
        url = super().get_edit_url(instance)
        if url is None and self.user is not None:
            task = instance.current_workflow_task
            if task is not None and task.specific.user_can_access_editor(instance, self.user):
                return self.construct_edit_url(instance)
        return url


class PostViewSet(SnippetViewSet):
    model = Post
    icon = "doc-full"
    menu_label = _("Posts")
    add_to_admin_menu = False
    add_view_class = PostCreateView
    edit_view_class = PostEditView
    list_display = [
        "title",
        "campaign",
        "territory",
        ApprovalStatusColumn("status", label=_("Status")),
        UpdatedAtColumn(),
    ]
    list_filter = ["campaign", "territory", "live", "approval_workflow"]
    list_per_page = 50
    ordering = ["-updated_at"]
    copy_view_enabled = True
    inspect_view_enabled = False

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("title"),
                    FieldPanel("text"),
                    InlinePanel(
                        "images",
                        label=_("Images"),
                        max_num=MAX_POST_IMAGES,
                        panels=[FieldPanel("image"), FieldPanel("alt_text")],
                        help_text=_("Up to 10 images, each with its alt text."),
                    ),
                    FieldPanel("document"),
                    FieldPanel("link"),
                ],
                heading=_("Message"),
            ),
            ObjectList(
                [
                    NetworkChecksPanel(heading=_("What each network will get")),
                    InlinePanel(
                        "variants",
                        label=_("Network versions"),
                        panels=[
                            # A plain list: a handful of accounts, chosen by keyboard.
                            FieldPanel("account", widget=forms.Select),
                            FieldPanel("text"),
                            FieldPanel("format"),
                            FieldPanel("thread_text"),
                            FieldRowPanel([FieldPanel("image_numbers"), FieldPanel("alt_texts")]),
                            FieldPanel("first_comment"),
                        ],
                        help_text=_(
                            "Add one version per account the post goes to; an empty text "
                            "uses the post's text."
                        ),
                    ),
                ],
                heading=_("Networks"),
            ),
            ObjectList(
                [
                    FieldPanel("planned_at"),
                    FieldRowPanel([FieldPanel("campaign"), FieldPanel("territory")]),
                    FieldPanel("themes"),
                    MultiFieldPanel(
                        [FieldPanel("approval_workflow"), FieldPanel("notes_for_approvers")],
                        heading=_("Approval"),
                    ),
                ],
                heading=_("Context"),
            ),
        ],
        base_form_class=PostForm,
    )

    @property
    def url_finder_class(self):
        return type("PostAdminURLFinder", (ReviewerURLFinderMixin, super().url_finder_class), {})

    def get_queryset(self, request):
        from .selectors import posts_for_listing

        return posts_for_listing()


class HistoryViewSetMixin:
    """Adds a field-by-field change view (django-simple-history) to a snippet viewset."""

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("changes/<str:pk>/", self.changes_view, name="changes"),
        ]

    @property
    def changes_view(self):
        return self.construct_view(FieldChangesView, edit_url_name=self.get_url_name("edit"))

    @property
    def edit_view_class(self):
        return changes_edit_view(super().edit_view_class, self.get_url_name("changes"))


class CampaignViewSet(HistoryViewSetMixin, SnippetViewSet):
    model = Campaign
    icon = "tag"
    menu_label = _("Campaigns")
    list_display = ["name", "starts_on", "ends_on"]
    list_filter = ["starts_on", "ends_on"]
    ordering = ["-starts_on", "name"]
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
        FieldPanel("colour", widget=ColourInput),
        FieldPanel("editorial_line"),
        FieldPanel("description"),
    ]


class TerritoryViewSet(HistoryViewSetMixin, SnippetViewSet):
    model = Territory
    icon = "site"
    menu_label = _("Territories")
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    ordering = ["name"]
    panels = [FieldPanel("name"), FieldPanel("code")]


class ContentViewSetGroup(SnippetViewSetGroup):
    items = (PostViewSet, CampaignViewSet, TerritoryViewSet)
    menu_icon = "doc-full"
    menu_label = _("Content")
    menu_name = "content"
    menu_order = 100


register_snippet(ContentViewSetGroup)


from . import media_hooks  # noqa: E402, F401 - image and document hooks (cms/media_hooks.py)

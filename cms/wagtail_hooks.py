"""The cms part of the admin: posts, campaigns and territories, with search and filters."""

import django_filters
from django import forms
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import extensions
from .forms import PostForm
from .models import MAX_POST_IMAGES, Campaign, Post, Territory
from .selectors import posts_for_listing
from .views import (
    FieldChangesView,
    PostCopyView,
    PostCreateView,
    PostDeleteBulkAction,
    PostDeleteView,
    PostEditView,
    changes_edit_view,
)
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


class PostFilterSet(WagtailFilterSet):
    """The list's filters; archived posts stay out of it unless asked for."""

    archived = django_filters.ChoiceFilter(
        label=_("Archived posts"),
        choices=[("with", _("Shown with the others")), ("only", _("Only them"))],
        empty_label=_("Hidden"),
        method="keep",
    )

    class Meta:
        model = Post
        fields = ["campaign", "territory", "live", "approval_workflow"]

    def keep(self, queryset, name, value):
        return queryset  # applied in filter_queryset, which also sees the empty choice

    def filter_queryset(self, queryset):
        choice = self.form.cleaned_data.get("archived")
        if choice == "only":
            queryset = queryset.filter(archived_at__isnull=False)
        elif choice != "with":
            queryset = queryset.filter(archived_at__isnull=True)
        return super().filter_queryset(queryset)


def post_edit_handler() -> TabbedInterface:
    """The post editor's tabs: the message, its network versions, its context."""
    return TabbedInterface(
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
                    *extensions.networks_tab_panels(),
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


class PostViewSet(SnippetViewSet):
    model = Post
    icon = "doc-full"
    menu_label = _("Posts")
    add_to_admin_menu = False
    add_view_class = PostCreateView
    edit_view_class = PostEditView
    copy_view_class = PostCopyView
    delete_view_class = PostDeleteView
    list_display = [
        "title",
        "campaign",
        "territory",
        ApprovalStatusColumn("status", label=_("Status")),
        UpdatedAtColumn(),
    ]
    filterset_class = PostFilterSet
    list_per_page = 50
    ordering = ["-updated_at"]
    copy_view_enabled = True
    inspect_view_enabled = False

    def get_edit_handler(self):
        # Built when the admin first needs it, once every app's hooks are registered: the
        # apps above cms add their panels to the "Networks" tab (cms.extensions).
        return post_edit_handler().bind_to_model(self.model)

    @property
    def url_finder_class(self):
        return type("PostAdminURLFinder", (ReviewerURLFinderMixin, super().url_finder_class), {})

    def get_queryset(self, request):
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

# After Wagtail's own snippet bulk delete (order 0), which it replaces for posts.
hooks.register("register_bulk_action", PostDeleteBulkAction, order=1)


class ArchiveLogFormatter(LogFormatter):
    label = _("Archive")

    def format_message(self, log_entry):
        return _("Archived instead of deleted: its approval trail and publications are kept.")


class CopyLogFormatter(LogFormatter):
    label = _("Copy")

    def format_message(self, log_entry):
        source = (log_entry.data or {}).get("source", {})
        return _("Created as a copy of “%(title)s”.") % {"title": source.get("title", "")}


@hooks.register("construct_snippet_action_menu")
def no_publish_button_on_posts(menu_items, request, context):
    """Wagtail shows "Publish" to anyone holding the permission (a superuser holds them
    all); a post goes live only by finishing its circuit (cms.permissions)."""
    if context.get("model") is Post:
        menu_items[:] = [
            item for item in menu_items if item.name not in ("action-publish", "action-unpublish")
        ]


@hooks.register("register_log_actions")
def cms_log_actions(actions):
    actions.register_action("cms.archive")(ArchiveLogFormatter)
    actions.register_action("cms.copy")(CopyLogFormatter)


from . import media_hooks  # noqa: E402, F401 - image and document hooks (cms/media_hooks.py)

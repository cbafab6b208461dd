"""The cms part of the admin: posts, campaigns and territories, with search and filters."""

import django_filters
from django import forms
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.ui.tables import Column, DateColumn, UpdatedAtColumn
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from networks.wording import WordedInlinePanel, WordedViewSetMixin, Wording

from . import extensions
from .composer import composer_preview
from .forms import PostForm
from .models import MAX_POST_IMAGES, Campaign, Post, Territory
from .panels import ComposerPanel, MediaChoicePanel, NetworkVersionsPanel
from .selectors import posts_for_listing
from .views import (
    FieldChangesView,
    PostCopyView,
    PostCreateView,
    PostDeleteBulkAction,
    PostDeleteView,
    PostEditView,
    PostPreviewOnEditView,
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


class PlannedAtColumn(DateColumn):
    """When the post goes out, as a date and a time (not « in 3 days »): what the team
    plans by."""

    cell_template_name = "cms/columns/planned_at.html"


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
    """The post editor's tabs: the composer (the master message beside each network's
    version of it), then the post's context."""
    return TabbedInterface(
        [
            ComposerPanel(
                [
                    FieldRowPanel([FieldPanel("title"), FieldPanel("planned_at")]),
                    ObjectList(
                        [
                            FieldPanel("text"),
                            WordedInlinePanel(
                                "images",
                                heading=_("Images"),
                                label=_("image"),
                                add_label=_("Add an image"),
                                max_num=MAX_POST_IMAGES,
                                panels=[FieldPanel("image"), FieldPanel("alt_text")],
                                help_text=_("Up to 10 images, each with its alt text."),
                            ),
                            FieldPanel("document"),
                            FieldPanel("link"),
                        ],
                        heading=_("Master message"),
                        help_text=_(
                            "Written once: each network's version starts from it and follows "
                            "it until customised."
                        ),
                    ),
                    NetworkVersionsPanel(
                        "variants",
                        heading=_("Networks"),
                        label=pgettext_lazy("one network's version of a post", "version"),
                        panels=[
                            FieldPanel("account", widget=forms.HiddenInput),
                            FieldPanel("text"),
                            FieldPanel("format"),
                            FieldPanel("thread_text"),
                            MediaChoicePanel("media", widget=forms.HiddenInput),
                            FieldPanel("first_comment"),
                        ],
                    ),
                    # What the apps above cms add under the networks (cms.extensions).
                    *extensions.networks_tab_panels(),
                ],
                heading=_("Compose"),
            ),
            ObjectList(
                [
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


class PostViewSet(WordedViewSetMixin, SnippetViewSet):
    model = Post
    wording = Wording(
        add=_("Add a post"),
        new=_("New post"),
        created=_("Post “%(object)s” created."),
        updated=_("Post “%(object)s” saved."),
        deleted=_("Post “%(object)s” deleted."),
        no_match=_("No post matches your search or filters."),
    )
    icon = "doc-full"
    menu_label = _("Posts")
    add_to_admin_menu = False
    add_view_class = PostCreateView
    edit_view_class = PostEditView
    copy_view_class = PostCopyView
    delete_view_class = PostDeleteView
    preview_on_edit_view_class = PostPreviewOnEditView
    list_display = [
        "title",
        "campaign",
        "territory",
        ApprovalStatusColumn("status", label=_("Status")),
        PlannedAtColumn("planned_at", label=_("Publish on"), sort_key="planned_at"),
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


class CampaignViewSet(HistoryViewSetMixin, WordedViewSetMixin, SnippetViewSet):
    model = Campaign
    wording = Wording(
        add=_("Add a campaign"),
        new=_("New campaign"),
        created=_("Campaign “%(object)s” created."),
        updated=_("Campaign “%(object)s” saved."),
        deleted=_("Campaign “%(object)s” deleted."),
        no_match=_("No campaign matches your search or filters."),
        choose=_("Choose a campaign"),
        choose_another=_("Choose another campaign"),
        edit_chosen=_("Edit this campaign"),
    )
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


class TerritoryViewSet(HistoryViewSetMixin, WordedViewSetMixin, SnippetViewSet):
    model = Territory
    wording = Wording(
        add=_("Add a territory"),
        new=_("New territory"),
        created=_("Territory “%(object)s” created."),
        updated=_("Territory “%(object)s” saved."),
        deleted=_("Territory “%(object)s” deleted."),
        no_match=_("No territory matches your search or filters."),
        choose=_("Choose a territory"),
        choose_another=_("Choose another territory"),
        edit_chosen=_("Edit this territory"),
    )
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


@hooks.register("register_admin_urls")
def cms_admin_urls():
    return [path("cms/composer/preview/", composer_preview, name="cms_composer_preview")]


@hooks.register("register_log_actions")
def cms_log_actions(actions):
    actions.register_action("cms.archive")(ArchiveLogFormatter)
    actions.register_action("cms.copy")(CopyLogFormatter)


# Image and document hooks (cms/media_hooks.py); posts, not pages, on the dashboard and in
# the searches (cms/shell_hooks.py).
from . import media_hooks, shell_hooks  # noqa: E402, F401

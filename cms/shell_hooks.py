"""The admin around the content: Crieur has posts, not Wagtail pages.

The dashboard counts posts instead of pages, and the searches of the dashboard and of
the sidebar look in the posts (the dashboard's template: cms/templates/wagtailadmin/home.html).
"""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.search import SearchArea
from wagtail.admin.site_summary import PagesSummaryItem, SummaryItem

from .models import Post

POST_PERMISSIONS = ("cms.view_post", "cms.add_post", "cms.change_post")


def may_see_posts(user) -> bool:
    return any(user.has_perm(permission) for permission in POST_PERMISSIONS)


class PostsSummaryItem(SummaryItem):
    """« 12 posts » on the dashboard, where Wagtail counts pages (there are none)."""

    order = 100

    def is_shown(self):
        return may_see_posts(self.request.user)

    def render_html(self, parent_context=None):
        count = Post.objects.filter(archived_at__isnull=True).count()
        return format_html(
            '<li><svg class="icon icon-doc-full" aria-hidden="true">'
            '<use href="#icon-doc-full"></use></svg><a href="{}">{}</a></li>',
            reverse("wagtailsnippets_cms_post:list"),
            ngettext("%(count)s post", "%(count)s posts", count) % {"count": count},
        )


@hooks.register("construct_homepage_summary_items", order=1)  # after Wagtail's own
def posts_not_pages(request, items):
    items[:] = [item for item in items if not isinstance(item, PagesSummaryItem)]
    items.insert(0, PostsSummaryItem(request))


class PostsSearchArea(SearchArea):
    def is_shown(self, request):
        return may_see_posts(request.user)


@hooks.register("register_admin_search_area")
def posts_search_area():
    # First (Wagtail's pages come at 100): the sidebar's search looks in the posts.
    return PostsSearchArea(
        _("Posts"),
        reverse("wagtailsnippets_cms_post:list"),
        name="posts",
        icon_name="doc-full",
        order=50,
    )

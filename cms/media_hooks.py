"""Documents stay behind the admin's door until a post carrying them has gone out."""

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import reverse
from wagtail import hooks

from .media import document_is_public


@hooks.register("before_serve_document")
def serve_documents_of_unpublished_posts_only_to_the_team(document, request):
    if request.user.is_authenticated and request.user.has_perm("wagtailadmin.access_admin"):
        return None
    if document_is_public(document_id=document.pk):
        return None
    if request.user.is_authenticated:
        raise Http404
    # Someone of the team who is signed out signs in and comes back to the document.
    return redirect_to_login(request.get_full_path(), login_url=reverse("wagtailadmin_login"))

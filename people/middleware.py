"""The second step of signing in: a session that has not typed its code reaches nothing else.

After the password (Wagtail's sign-in page), a person who has an authenticator types a
code; one who must have one and has none sets it up. Until then every admin page sends
them there, and elsewhere (documents, pages) they count as anonymous.
"""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse

from .selectors import SecondStep, second_step

# Reachable before the second step: signing in or out, and what the step's own page
# loads (the admin's translations, and its icons: a redirect there would put a second
# copy of the step's page, with another secret, inside the first).
OPEN = frozenset(
    {
        "wagtailadmin_login",
        "wagtailadmin_logout",
        "wagtailadmin_javascript_catalog",
        "wagtailadmin_sprite",
        "wagtailadmin_password_reset",
        "wagtailadmin_password_reset_done",
        "wagtailadmin_password_reset_confirm",
        "wagtailadmin_password_reset_complete",
    }
)
STEP_PAGES = {
    SecondStep.VERIFY: "people_two_factor_verify",
    SecondStep.ENROL: "people_two_factor_enrol",
}


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        url_name = request.resolver_match.url_name if request.resolver_match else None
        if url_name in OPEN:
            return None
        step = second_step(user=user)
        if step is SecondStep.NONE:
            return None
        page = STEP_PAGES[step]
        if url_name == page:
            return None
        if request.path.startswith(reverse("wagtailadmin_home")):
            return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")
        request.user = AnonymousUser()
        return None

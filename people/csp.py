"""The Content-Security-Policy header (django-csp), strict wherever Wagtail allows it.

Wagtail 8's editor still starts some widgets with inline scripts (choosers, inline
panels, date pickers: wagtail/wagtail#1288), so the signed-in admin pages allow inline
scripts, still only from this site. The pages a stranger reaches (sign-in, the code
step, password reset, the approvers' links, documents) allow no inline script at all.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.urls import reverse

# Admin pages without any inline script: those before and during signing in.
STRICT_ADMIN_PAGES = frozenset(
    {
        "wagtailadmin_login",
        "wagtailadmin_logout",
        "wagtailadmin_password_reset",
        "wagtailadmin_password_reset_done",
        "wagtailadmin_password_reset_confirm",
        "wagtailadmin_password_reset_complete",
        "people_two_factor_verify",
        "people_two_factor_enrol",
    }
)
EDITOR_ALLOWANCE = {"script-src": ["'self'", "'unsafe-inline'"]}


def needs_inline_scripts(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name in STRICT_ADMIN_PAGES:
        return False
    return request.path.startswith(reverse("wagtailadmin_home"))


class AdminAwareCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if needs_inline_scripts(request) and parts.replace is None:
            parts.replace = EDITOR_ALLOWANCE
        return parts

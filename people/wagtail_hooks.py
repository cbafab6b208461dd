"""Signing in, in the admin: its pages, the account entry, the administrators' entry."""

from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views
from .selectors import may_manage_sign_in


@hooks.register("register_admin_urls")
def sign_in_admin_urls():
    return [
        path("sign-in/code/", views.two_factor_verify, name="people_two_factor_verify"),
        path("sign-in/authenticator/", views.two_factor_enrol, name="people_two_factor_enrol"),
        path("sign-in/two-factor/", views.two_factor_settings, name="people_two_factor_settings"),
        path(
            "sign-in/two-factor/recovery-codes/",
            views.recovery_codes_renew,
            name="people_recovery_codes_renew",
        ),
        path("sign-in/two-factor/off/", views.two_factor_disable, name="people_two_factor_disable"),
        path("sign-in/security/", views.sign_in_security, name="people_sign_in_security"),
        path(
            "sign-in/security/unlock/<int:attempt_id>/",
            views.sign_in_unlock,
            name="people_sign_in_unlock",
        ),
    ]


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    return {
        "url": reverse("people_two_factor_settings"),
        "label": gettext("Two-factor authentication"),
        "help_text": gettext("Sign in with a code from your phone as well as your password"),
    }


class AdministratorsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_manage_sign_in(request.user)


@hooks.register("register_settings_menu_item")
def sign_in_security_menu_item():
    return AdministratorsMenuItem(
        _("Sign-in security"),
        reverse("people_sign_in_security"),
        icon_name="lock",
        order=160,
    )

"""The forms of the sign-in pages."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class SignInPolicyForm(forms.Form):
    two_factor_for_everyone = forms.BooleanField(
        label=_("Require two-factor authentication for everyone"),
        required=False,
        help_text=_(
            "Administrators and the crisis cell always need it. When ticked, everyone "
            "else sets it up at their next visit to the admin."
        ),
    )


class LoginForm(WagtailLoginForm):
    """Wagtail's sign-in form, whose password field has no label of its own (it showed
    "Password" in English on a French page)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Password")

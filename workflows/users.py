"""People in the admin: administrators manage accounts, only superusers touch superusers.

Wagtail offers its "Administrator" (superuser) box to anyone who may change users, and
lets them edit a superuser's e-mail and password: an administrator could make themself,
or a new account, all-powerful. Here the box is only for superusers, and a superuser's
account is edited, deleted or switched off only by another superuser.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from wagtail.users import forms as wagtail_forms
from wagtail.users.views import users as wagtail_views


def superuser_refused(user, person) -> bool:
    """Whether `user` may not change `person` (a superuser, for a non-superuser)."""
    return bool(person.is_superuser) and not user.is_superuser


class SuperuserFieldMixin:
    """The superuser box is offered to superusers only."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if for_user is None or not for_user.is_superuser:
            self.fields.pop("is_superuser", None)


class UserCreationForm(SuperuserFieldMixin, wagtail_forms.UserCreationForm):
    pass


class UserEditForm(SuperuserFieldMixin, wagtail_forms.UserEditForm):
    pass


class ForUserMixin:
    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["for_user"] = self.request.user
        return kwargs


class CreateView(ForUserMixin, wagtail_views.CreateView):
    pass


class EditView(ForUserMixin, wagtail_views.EditView):
    def dispatch(self, request, *args, **kwargs):
        if superuser_refused(request.user, self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class DeleteView(wagtail_views.DeleteView):
    def dispatch(self, request, *args, **kwargs):
        if superuser_refused(request.user, self.get_object()):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class UserViewSet(wagtail_views.UserViewSet):
    add_view_class = CreateView
    edit_view_class = EditView
    delete_view_class = DeleteView

    def get_form_class(self, for_update=False):
        return UserEditForm if for_update else UserCreationForm


def bulk_action_refusal(request, action_type, objects, action_class_instance):
    """Wagtail's bulk actions on users (deactivate, assign a role, delete) spare
    superusers when a non-superuser runs them."""
    if getattr(action_class_instance, "model", None) is not get_user_model():
        return None
    if any(superuser_refused(request.user, person) for person in objects):
        raise PermissionDenied
    return None

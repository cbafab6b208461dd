"""Django's model backend, which reads what the second step of signing in needs in the
same query that loads the signed-in person on every request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .selectors import with_second_step


class SignInBackend(ModelBackend):
    def get_user(self, user_id):
        user = with_second_step(get_user_model()._default_manager.filter(pk=user_id)).first()
        return user if user is not None and self.user_can_authenticate(user) else None

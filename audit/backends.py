"""Sign-in by email; disabled and locked users cannot sign in."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        email = kwargs.get("email", username)
        if email:
            email = email.strip().lower()
        return super().authenticate(
            request, username=email, password=password, **kwargs
        )

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(
            user, "locked", False
        )

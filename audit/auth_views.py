"""Django's password views, with the events they must record (SPEC 7).

Django's forms save the password themselves; each view here wraps that save
and its event in one transaction. Login and logout need no view of their
own: their events come from Django's auth signals (``audit.signin``).
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.db import transaction

from audit.actors import actor_for_request
from audit.models import User
from audit.services import signin, user_password_changed


class PasswordChangeView(auth_views.PasswordChangeView):
    """A signed-in user changes their password: records `PasswordChanged`."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user_password_changed(actor=actor_for_request(self.request), user=form.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A reset link sets a new password: records `PasswordChanged` by the user."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user_password_changed(
                actor=actor_for_request(self.request, user=form.user), user=form.user
            )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """A reset link is asked for: records `ForgotPassword` for a known account.

    An unknown email records nothing (and the page says the same either way,
    so it does not tell who has an account).
    """

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email=email, is_active=True).first()
        with transaction.atomic():
            response = super().form_valid(form)
            if user is not None:
                signin.password_reset_requested(
                    actor=actor_for_request(self.request, user=user), user=user
                )
        return response

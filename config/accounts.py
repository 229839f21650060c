"""The forms of Django's account views (config/urls.py): a password reset
request, throttled and answered alike whether or not an account has the
address, and new passwords that end the account's sign-in pause
(config/throttling.py)."""

from __future__ import annotations

import hashlib
import logging

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.cache import cache

from config.throttling import client_address

logger = logging.getLogger(__name__)

# Password reset emails, per address typed (whether or not an account has it)
# and per client, in an hour; beyond them a request is answered as usual and
# sends nothing. Counted in Django's cache: each app process's memory, so with
# several gunicorn workers a client may get a few times more (docs/deploy.md
# adds the proxy's limit).
RESETS_PER_ADDRESS = 3
RESETS_PER_CLIENT = 20
RESET_WINDOW_SECONDS = 3600


def _within_limit(key: str, limit: int) -> bool:
    cache.add(key, 0, RESET_WINDOW_SECONDS)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between the two calls
        cache.set(key, 1, RESET_WINDOW_SECONDS)
        return True


def reset_email_allowed(email: str, client: str | None) -> bool:
    """Count a password reset request; whether its email may be sent."""
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    by_address = _within_limit(f"password-reset:address:{address}", RESETS_PER_ADDRESS)
    by_client = client is None or _within_limit(
        f"password-reset:client:{client}", RESETS_PER_CLIENT
    )
    return by_address and by_client


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form: one answer whether or not an account has the address
    (no enumeration); refused when the site sends no email; and throttled."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "email"}),
    )

    @property
    def available(self) -> bool:
        return settings.APPARATUS_SENDS_EMAIL

    def clean(self):
        if not self.available:
            raise forms.ValidationError(
                "This server sends no email, so passwords cannot be reset here: "
                "ask a project owner or the administrator to set a new one."
            )
        return super().clean()

    def save(self, *, request=None, **kwargs) -> None:
        email = self.cleaned_data["email"]
        if not reset_email_allowed(email, request and client_address(request)):
            logger.warning("Password reset: the hourly limit held back an email.")
            return
        super().save(request=request, **kwargs)


def _forget_sign_in_failures(user) -> None:
    """A new password ends the account's sign-in pause (config/throttling.py):
    its failures were guesses at the old one."""
    AccessAttempt.objects.filter(username=user.get_username()).delete()


class NewPasswordForm(SetPasswordForm):
    """The password set from a reset link."""

    def save(self, commit=True):
        user = super().save(commit)
        if commit:
            _forget_sign_in_failures(user)
        return user


class ChangePasswordForm(PasswordChangeForm):
    def save(self, commit=True):
        user = super().save(commit)
        if commit:
            _forget_sign_in_failures(user)
        return user

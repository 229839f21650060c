"""Personal API tokens: made, found by the secret a client sends, revoked."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from corpus.models import ApiToken

# A token reads "apx_" + its prefix + "_" + its secret.
SCHEME = "apx"
MAX_TOKENS = 20
NAME_LENGTH = 100
# The last-used time is written at most this often per token (not on every
# request a program makes).
LAST_USED_STEP = datetime.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`, and the text of it, which is shown once and
    kept nowhere."""
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise ValidationError(
            {"name": f"Name the token in {NAME_LENGTH} characters at most."}
        )
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= (
        MAX_TOKENS
    ):
        raise ValidationError(
            f"You have {MAX_TOKENS} tokens in use: revoke one you no longer need."
        )
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, key_hash=_hash(secret)
    )
    return token, f"{SCHEME}_{prefix}_{secret}"


def user_for(text: str) -> AbstractBaseUser | None:
    """The active user a token's text stands for, or None (unknown, revoked,
    malformed, or the user's account disabled)."""
    scheme, _, rest = text.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != SCHEME or not prefix or not secret:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_STEP:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_token(*, token: ApiToken) -> None:
    """The token stops working at once; its row stays, to show it was revoked."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )

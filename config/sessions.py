"""Who a request comes from, read with prepared queries (corpus.prepared):
Django's database session store and its model backend, the same rows, without
compiling the two queries again on every request."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from corpus.prepared import Prepared

_live = Prepared(
    lambda _shape, key, now: Session.objects.filter(
        session_key=key, expire_date__gt=now
    ).order_by(),
    str,
    datetime,
)


# Sessions begun before the backend below vouched for them name Django's.
EARLIER_BACKEND = "django.contrib.auth.backends.ModelBackend"
BACKEND = "config.sessions.AccountBackend"


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        session = _live.one(self.session_key, timezone.now())
        if session is None:
            self._session_key = None
        return session

    def load(self) -> dict:
        return _still_signed_in(super().load())

    async def aload(self) -> dict:
        return _still_signed_in(await super().aload())


def _still_signed_in(data: dict) -> dict:
    if data.get(BACKEND_SESSION_KEY) == EARLIER_BACKEND:
        data[BACKEND_SESSION_KEY] = BACKEND
    return data


_users = Prepared(
    lambda _shape, pk: get_user_model()._default_manager.filter(pk=pk).order_by(), int
)


class AccountBackend(ModelBackend):
    """Django's ModelBackend (usernames and passwords), its user read prepared."""

    def get_user(self, user_id):
        user = _users.one(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

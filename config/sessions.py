"""The database session store, with its one read a request makes prepared
(corpus.prepared): the same rows as Django's, without compiling the query
again on every request."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from corpus.prepared import Prepared

_live = Prepared(
    lambda _shape, key, now: Session.objects.filter(
        session_key=key, expire_date__gt=now
    ),
    str,
    datetime,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        session = _live.one(self.session_key, timezone.now())
        if session is None:
            self._session_key = None
        return session

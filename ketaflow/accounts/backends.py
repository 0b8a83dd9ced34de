"""The sign-in backend: Django's own, loading the user's clinic with the user, and the
session store: Django's database sessions, read in one plain query.

Both run on every signed-in request. The user and clinic rows may be memoised by an app
above this one (`ops.freshness`, registered with `memoise_with`): kept as their column
values until any write to the database, and made into fresh model instances for each
request, so no request ever shares or sees another's objects.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connections, router
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User

Memo = Callable[[str, Hashable, Callable[[], Any]], Any]
_memo: list[Memo] = []


def memoise_with(memo: Memo) -> None:
    """`memo(name, key, compute)` keeps `compute()`'s answer while nothing it reads changed."""
    _memo[:] = [memo]


_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
_CLINIC_FIELDS = [f.attname for f in Clinic._meta.concrete_fields]

Rows = tuple[tuple[Any, ...], tuple[Any, ...] | None] | None


def _rows(user_id: Any) -> Rows:
    """The user's column values and their clinic's (None: no such user)."""
    found = (
        User._default_manager.select_related("clinic")
        .filter(pk=user_id)
        .values_list(*_USER_FIELDS, *(f"clinic__{f}" for f in _CLINIC_FIELDS))
        .first()
    )
    if found is None:
        return None
    user, clinic = found[: len(_USER_FIELDS)], found[len(_USER_FIELDS) :]
    return user, (clinic if clinic[0] is not None else None)


class ClinicModelBackend(ModelBackend):
    """Every signed-in request reads the user's clinic (its time zone, its scope): one query
    with the user rather than a second one for the clinic."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            key = int(user_id)
        except (TypeError, ValueError):
            return None
        rows = _memo[0]("signed-in-user", key, lambda: _rows(key)) if _memo else _rows(key)
        if rows is None:
            return None
        user = User.from_db("default", _USER_FIELDS, rows[0])
        if rows[1] is not None:
            user.clinic = Clinic.from_db("default", _CLINIC_FIELDS, rows[1])
        return user if self.user_can_authenticate(user) else None


class SessionStore(DatabaseSessionStore):
    """Django's database sessions; the read of a session is one plain query (it runs on every
    request) rather than an ORM query compiled each time."""

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        key = self.session_key
        if key is None:
            return None
        model = self.model
        db = connections[router.db_for_read(model)]
        table = db.ops.quote_name(model._meta.db_table)
        now = db.ops.adapt_datetimefield_value(timezone.now())
        with db.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=key, session_data=row[0])

"""Typed access to the signed-in member of staff in views and API routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from ketaflow.accounts.models import User


def staff_user(request: HttpRequest) -> User:
    """The request's user as a `User`; PermissionDenied if nobody is signed in."""
    from ketaflow.accounts.models import User

    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user

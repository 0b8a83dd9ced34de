"""The one permission check that services and views call: role capability AND same clinic.

Services call `require` before any write; views call it before drawing a form, so a role
that may not act gets 403 at once. Selectors scope querysets the same way (another clinic's
record is then "not found").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from ketaflow.accounts.models import User


def clinic_id_of(obj: Any) -> int | None:
    """The clinic a record belongs to: its own `clinic_id`, or its patient's."""
    if obj is None:
        return None
    clinic_id = getattr(obj, "clinic_id", None)
    if clinic_id is None and hasattr(obj, "patient"):
        clinic_id = obj.patient.clinic_id
    return clinic_id


def require(actor: User, capability: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless the role grants `capability` (and `obj` is in my clinic)."""
    if not actor.can(capability):
        raise PermissionDenied(f"Your role cannot do this ({capability}).")
    if obj is not None and clinic_id_of(obj) != actor.clinic_id:
        raise PermissionDenied("This record belongs to another clinic.")


def require_any(actor: User, *capabilities: str) -> None:
    """Raise PermissionDenied unless the role grants at least one of `capabilities`."""
    if not any(actor.can(c) for c in capabilities):
        raise PermissionDenied(f"Your role cannot do this ({' or '.join(capabilities)}).")

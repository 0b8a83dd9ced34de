"""Object-level permission rules (the `rules` package): capability AND same clinic.

Every permission is `<app>.<capability>`; checked with `user.has_perm(perm, obj)`. With an
object, the object's clinic must be the user's clinic. Selectors filter querysets the same way.
"""

from __future__ import annotations

from typing import Any

import rules

from ketaflow.accounts.permissions import clinic_id_of
from ketaflow.accounts.roles import Capability


@rules.predicate
def same_clinic(user: Any, obj: Any = None) -> bool:
    """True without an object (list-level check) or when the object is in the user's clinic."""
    if obj is None:
        return True
    return bool(user.clinic_id) and clinic_id_of(obj) == user.clinic_id


def has_capability(capability: str) -> rules.Predicate:
    @rules.predicate(name=f"has_{capability}")
    def check(user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.can(capability)

    return check


for _cap in Capability:
    rules.add_perm(f"ketaflow.{_cap.value}", has_capability(_cap.value) & same_clinic)


def perm(capability: str) -> str:
    """The permission name for a capability, for `user.has_perm`."""
    return f"ketaflow.{capability}"

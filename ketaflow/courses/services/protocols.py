"""Protocol versions per clinic: adopt the built-in protocols, revise them (a new row each).

The core (`ketaflow.clinical.protocols`) validates every value and makes the next version;
this module records who did it, why, and keeps every earlier version.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols import (
    DEFAULT,
    Protocol,
    builtin_protocols,
    protocol_from_dict,
    protocol_to_dict,
)
from ketaflow.courses.models import ProtocolVersion
from ketaflow.courses.services._common import require, required_reason

ADOPT_REASON = "Adopted the built-in protocol (Ketaflow defaults)."


def load_protocol(version: ProtocolVersion) -> Protocol:
    """The core protocol stored in this version row."""
    return protocol_from_dict(version.data)


def _row(clinic_id: int, protocol: Protocol, actor: User | None, reason: str) -> ProtocolVersion:
    return ProtocolVersion(
        clinic_id=clinic_id,
        code=protocol.code,
        version=protocol.version,
        name=protocol.name,
        route=protocol.route.value,
        data=protocol_to_dict(protocol),
        created_by=actor,
        change_reason=reason,
    )


@transaction.atomic
def adopt_builtin_protocols(actor: User) -> list[ProtocolVersion]:
    """Version 1 of every built-in protocol the clinic does not have yet (idempotent).

    Returns the rows created (empty when the clinic already has them all).
    """
    require(actor, Capability.MANAGE_PROTOCOLS)
    clinic_id = actor.clinic_pk
    have = set(ProtocolVersion.objects.filter(clinic_id=clinic_id).values_list("code", flat=True))
    created = []
    for code, protocol in builtin_protocols().items():
        if code in have:
            continue
        row = _row(clinic_id, protocol, actor, ADOPT_REASON)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:  # adopted concurrently: nothing to do
            continue
        record_event(
            actor=actor,
            action=Action.CREATE,
            obj=row,
            detail={"protocol": code, "version": row.version, "reason": ADOPT_REASON},
        )
        created.append(row)
    return created


def _coerce(protocol: Protocol, key: str, value: object) -> object:
    """Form text to the number the setting takes; "default" (or None) resets to the default."""
    if value is None or value is DEFAULT:
        return DEFAULT
    if key in ("name", "description"):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("", "default"):
            return DEFAULT
        kind = type(protocol.setting(key).default.value)
        try:
            number = float(text)
        except ValueError:
            raise ClinicalInputError(f"must be a number, got {text!r}", field=key) from None
        if kind is int:
            if not math.isfinite(number) or number != int(number):
                raise ClinicalInputError(f"must be a whole number, got {text!r}", field=key)
            return int(number)
        return number
    if isinstance(value, int) and not isinstance(value, bool):
        kind = type(protocol.setting(key).default.value)
        return float(value) if kind is float else value
    return value


@transaction.atomic
def revise_protocol(
    actor: User, version: ProtocolVersion, changes: Mapping[str, object], reason: str
) -> ProtocolVersion:
    """The next version with `changes` (dotted setting keys → value, or "default").

    Only the clinic's current version of a protocol may be revised. The old row is kept.
    """
    require(actor, Capability.MANAGE_PROTOCOLS)
    if version.clinic_id != actor.clinic_pk:
        raise ValidationError({"protocol": ["This protocol belongs to another clinic."]})
    why = required_reason(reason, what="Say why the protocol is being changed.")
    latest = (
        ProtocolVersion.objects.select_for_update()
        .filter(clinic_id=version.clinic_id, code=version.code)
        .order_by("-version")
        .first()
    )
    assert latest is not None
    if latest.pk != version.pk:
        raise ValidationError(
            {"protocol": [f"Version {latest.version} is current: revise that one, not this."]}
        )
    current = load_protocol(latest)
    errors: dict[str, list[str]] = {}
    coerced: dict[str, Any] = {}
    for key, value in changes.items():
        try:
            coerced[key] = _coerce(current, key, value)
            if key not in ("name", "description") and coerced[key] is not DEFAULT:
                current.setting(key).check(coerced[key], key)
        except ClinicalInputError as exc:
            errors.setdefault(exc.field or key, []).append(exc.message)
    if errors:
        raise ValidationError(errors)
    # A reset of a setting that is already on its default is no change.
    coerced = {
        k: v
        for k, v in coerced.items()
        if not (
            v is DEFAULT and k not in ("name", "description") and not current.setting(k).is_local
        )
    }
    try:
        revised = current.revise(coerced)
    except ClinicalInputError as exc:
        raise ValidationError({exc.field or "__all__": [exc.message]}) from None
    row = _row(version.clinic_id, revised, actor, why)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"protocol": ["Someone revised this protocol at the same time: reload and retry."]}
        ) from exc
    shown = {k: ("default" if v is DEFAULT else v) for k, v in coerced.items()}
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=row,
        detail={
            "protocol": row.code,
            "from_version": latest.version,
            "version": row.version,
            "changes": shown,
            "reason": why,
        },
    )
    return row

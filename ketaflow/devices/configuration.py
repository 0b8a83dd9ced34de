"""A clinic's device set-up (clinic admins): which chair a monitor location means (bindings)
and which vital a code means (code mappings). The listener reads both (`mappings_of`,
`matching.ListenerCache`); each change is permission-checked, one transaction, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.courses.models import Chair
from ketaflow.devices import hl7_vitals as hv
from ketaflow.devices.models import CodeMapping, MonitorBinding, VitalChoice


def mappings_of(clinic_id: int) -> dict[str, hv.CodeMap]:
    """The clinic's active code mappings, keyed as `hl7_vitals.code_keys` looks them up."""
    result = {}
    for m in CodeMapping.objects.filter(clinic_id=clinic_id, active=True):
        result[m.key] = hv.CodeMap(hv.Vital(m.vital), m.priority, f"clinic mapping {m.pk}", m.unit)
    return result


def _audit(actor: User, obj: Any, what: str, patient_id: int | None, **detail: Any) -> None:
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=obj,
        patient_id=patient_id,
        clinic_id=actor.clinic_id,
        detail={"what": what, **detail},
    )


@transaction.atomic
def bind_chair(actor: User, chair_id: int, location: str) -> MonitorBinding:
    """Tell the listener which chair a monitor location string means (clinic admins)."""
    require(actor, Capability.MANAGE_DEVICES)
    chair = Chair.objects.filter(pk=chair_id, clinic_id=actor.clinic_pk).first()
    if chair is None:
        raise Http404("No such chair in your clinic.")
    location = location.strip()
    if not location or "\r" in location or "\n" in location:
        raise ValidationError({"location": ["Enter the location as the monitor sends it."]})
    if MonitorBinding.objects.filter(
        clinic_id=actor.clinic_pk, location__iexact=location, active=True
    ).exists():
        raise ValidationError({"location": ["This location is already bound to a chair."]})
    binding = MonitorBinding.objects.create(
        clinic_id=actor.clinic_pk, chair=chair, location=location[:120], created_by=actor
    )
    _audit(actor, binding, "monitor_binding", None, chair=chair.pk, location=binding.location)
    return binding


@transaction.atomic
def end_binding(actor: User, binding_id: int) -> MonitorBinding:
    require(actor, Capability.MANAGE_DEVICES)
    binding = MonitorBinding.objects.filter(
        pk=binding_id, clinic_id=actor.clinic_pk, active=True
    ).first()
    if binding is None:
        raise Http404("No such active binding in your clinic.")
    binding.active = False
    binding.ended_by = actor
    binding.ended_at = timezone.now()
    binding.save()
    _audit(actor, binding, "monitor_binding_ended", None)
    return binding


UNITS = ("", "mmHg", "kPa", "/min", "%", "Cel", "degF")


@transaction.atomic
def add_mapping(
    actor: User,
    *,
    coding_system: str,
    code: str,
    vital: str,
    sub_id: str = "",
    unit: str = "",
    priority: int = 1,
) -> CodeMapping:
    """A clinic's own code → vital (clinic admins). It wins over the built-in table."""
    require(actor, Capability.MANAGE_DEVICES)
    errors: dict[str, list[str]] = {}
    if not code.strip():
        errors["code"] = ["Enter the code as the monitor sends it (OBX-3.1)."]
    if vital not in VitalChoice.values:
        errors["vital"] = [f"Choose one of: {', '.join(VitalChoice.values)}."]
    if unit not in UNITS:
        errors["unit"] = [f"Choose one of: {', '.join(u or '(none)' for u in UNITS)}."]
    if not 0 <= priority <= 9:
        errors["priority"] = ["Between 0 (preferred) and 9."]
    if errors:
        raise ValidationError(errors)
    mapping = CodeMapping(
        clinic_id=actor.clinic_pk,
        coding_system=coding_system.strip()[:40],
        code=code.strip()[:80],
        sub_id=sub_id.strip()[:40],
        vital=vital,
        unit=unit,
        priority=priority,
        created_by=actor,
    )
    if (
        CodeMapping.objects.filter(clinic_id=actor.clinic_pk, active=True)
        .filter(
            coding_system__iexact=mapping.coding_system,
            code__iexact=mapping.code,
            sub_id__iexact=mapping.sub_id,
        )
        .exists()
    ):
        raise ValidationError({"code": ["This code already has an active mapping."]})
    mapping.save()
    _audit(actor, mapping, "code_mapping", None, key=mapping.key, vital=vital)
    return mapping


@transaction.atomic
def deactivate_mapping(actor: User, mapping_id: int) -> CodeMapping:
    require(actor, Capability.MANAGE_DEVICES)
    mapping = CodeMapping.objects.filter(
        pk=mapping_id, clinic_id=actor.clinic_pk, active=True
    ).first()
    if mapping is None:
        raise Http404("No such active mapping in your clinic.")
    mapping.active = False
    mapping.save()
    _audit(actor, mapping, "code_mapping_ended", None, key=mapping.key)
    return mapping

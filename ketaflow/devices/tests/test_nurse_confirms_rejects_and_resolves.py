"""Staff decide: confirm into the flowsheet, reject with a reason, assign or dismiss held ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ketaflow.devices import configuration, review
from ketaflow.devices.models import DeviceReading, InboundMessage, MessageStatus
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.conftest import ingest
from ketaflow.treatments.models import VitalsReading
from ketaflow.treatments.services import VersionConflict
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db


def test_confirming_makes_a_flowsheet_reading_at_the_monitors_time_linked_to_the_device(
    clinic: Any, nurse: Any, checked_in: Any, binding: Any
) -> None:
    ingest(clinic, M.ge_b40("C-1", sbp=150, dbp=92))
    reading = DeviceReading.objects.get()
    vitals = review.confirm_reading(nurse, reading.pk, fresh(checked_in).version)
    assert (vitals.sbp, vitals.dbp, vitals.hr, vitals.spo2, vitals.rr) == (150, 92, 72, 97, 16)
    assert vitals.taken_at == reading.observed_at and vitals.recorded_by == nurse
    reading.refresh_from_db()
    assert reading.status == "confirmed" and reading.vitals_reading == vitals
    assert VitalsReading.objects.get().device_reading == reading
    with pytest.raises(ValidationError):
        review.confirm_reading(nurse, reading.pk, fresh(checked_in).version)


def test_confirming_on_a_stale_page_is_a_conflict(
    clinic: Any, nurse: Any, checked_in: Any, binding: Any
) -> None:
    ingest(clinic, M.ge_b40("C-2"))
    with pytest.raises(VersionConflict):
        review.confirm_reading(nurse, DeviceReading.objects.get().pk, checked_in.version - 1 or 99)


def test_rejecting_needs_a_reason_and_keeps_the_row(
    clinic: Any, nurse: Any, checked_in: Any, binding: Any
) -> None:
    ingest(clinic, M.ge_b40("C-3"))
    pk = DeviceReading.objects.get().pk
    with pytest.raises(ValidationError):
        review.reject_reading(nurse, pk, "  ")
    review.reject_reading(nurse, pk, "cuff was off")
    row = DeviceReading.objects.get()
    assert row.status == "rejected" and row.reject_reason == "cuff was off"
    assert not VitalsReading.objects.exists()


def test_a_held_message_assigned_to_a_session_makes_its_readings(
    clinic: Any, nurse: Any, checked_in: Any
) -> None:
    ingest(clinic, M.ge_b40("Q-1", mrn="TEMP-42"))
    held = InboundMessage.objects.get(status=MessageStatus.HELD)
    readings = review.assign_message(nurse, held.pk, checked_in.pk)
    assert len(readings) == 1 and readings[0].session == checked_in and readings[0].hr == 72
    held.refresh_from_db()
    assert held.status == MessageStatus.ASSIGNED and held.resolved_by == nurse
    with pytest.raises(ValidationError):
        review.assign_message(nurse, held.pk, checked_in.pk)


def test_a_held_message_is_dismissed_with_a_reason_never_deleted(
    clinic: Any, nurse: Any, checked_in: Any
) -> None:
    ingest(clinic, M.philips_piic("Q-2", mrn='""'))
    held = InboundMessage.objects.get()
    with pytest.raises(ValidationError):
        review.dismiss_message(nurse, held.pk, "")
    review.dismiss_message(nurse, held.pk, "monitor on demo bed")
    held.refresh_from_db()
    assert (
        held.status == MessageStatus.DISMISSED and held.resolution_reason == "monitor on demo bed"
    )


def test_clinic_mappings_and_bindings(
    clinic: Any, clinic_admin: Any, nurse: Any, chair: Any
) -> None:
    from django.core.exceptions import PermissionDenied

    mapping = configuration.add_mapping(
        clinic_admin, coding_system="99MNDRY", code="352", vital="rr", unit="/min"
    )
    assert configuration.mappings_of(clinic.pk)["99MNDRY:352"].vital.value == "rr"
    with pytest.raises(ValidationError):
        configuration.add_mapping(clinic_admin, coding_system="99mndry", code="352", vital="hr")
    configuration.deactivate_mapping(clinic_admin, mapping.pk)
    assert configuration.mappings_of(clinic.pk) == {}
    binding = configuration.bind_chair(clinic_admin, chair.pk, "V2")
    with pytest.raises(ValidationError):
        configuration.bind_chair(clinic_admin, chair.pk, "v2")
    configuration.end_binding(clinic_admin, binding.pk)
    configuration.bind_chair(clinic_admin, chair.pk, "v2")
    with pytest.raises(PermissionDenied):
        configuration.bind_chair(nurse, chair.pk, "V7")

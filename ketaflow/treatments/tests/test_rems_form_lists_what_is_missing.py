"""The REMS record carries the form's three blood pressures and the "ready to leave" time, or
lists each as missing: a reading at the wrong time is never passed off as the one the form asks
for (SPRAVATO REMS Patient Monitoring Form, S3)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.clinical.evidence import source
from ketaflow.clinical.protocols import builtin
from ketaflow.treatments import rems, services
from ketaflow.treatments.tests.conftest import ago, complete_checklist, fresh
from ketaflow.treatments.tests.test_rems_world import (
    esketamine_checked_in,
    esketamine_course,
    esketamine_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def esk(
    gates_open: None, nurse: Any, prescriber: Any, patient: Any, protocols: Any, chair: Any
) -> Any:
    return esketamine_checked_in(
        nurse, esketamine_course(prescriber, patient, protocols), chair, prescriber
    )


@pytest.fixture
def early(esk: Any, nurse: Any, prescriber: Any) -> Any:
    """Two devices 30 and 25 min ago, one BP 10 min after the first device; not discharged."""
    session = complete_checklist(nurse, esk, baseline_at=40)
    services.enter_order(prescriber, session, fresh(session).version, dose_mg=56, confirm=True)
    for minutes in (30, 25):
        services.record_administration(
            nurse, session, fresh(session).version, kind="bolus", bolus_mg=28, at=ago(minutes)
        )
    services.complete_dosing(nurse, session, fresh(session).version)
    services.record_vitals(
        nurse,
        session,
        fresh(session).version,
        sbp=132,
        dbp=84,
        hr=80,
        spo2=98,
        rr=14,
        taken_at=ago(20),
    )
    return fresh(session)


def test_a_reading_outside_the_40_minute_window_is_not_used_and_the_point_is_listed(
    early: Any,
) -> None:
    form = rems.assemble(early)
    before, forty, end = form.vitals
    assert before.found and before.bp == "122/78"
    assert not forty.found and forty.bp == "not recorded"
    assert not end.found
    missing = {m.field: m.why for m in form.missing}
    assert (
        "20-60 minutes after the first device"
        in missing["Blood pressure: about 40 minutes after dosing"]
    )
    assert missing["Blood pressure: before discharge"] == "The patient has not been discharged."
    assert "Ready to leave (without the 2-hour minimum)" in missing
    assert form.ready_to_leave_at is None and form.total_monitoring_minutes is None


def test_a_complete_session_fills_every_point_the_form_asks_for(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk))
    assert all(v.found for v in form.vitals)
    assert form.ready_to_leave_minutes == 90 and form.total_monitoring_minutes == 140
    fields = {m.field for m in form.missing}
    assert not any(f.startswith("Blood pressure") for f in fields)
    assert "Ready to leave (without the 2-hour minimum)" not in fields
    rows = dict(r for s in rems.sections(form) for r in s.rows)
    assert rows["Ready to leave without the 2-hour minimum"].endswith(
        "(90 min after the first device)"
    )


def test_no_concomitant_oral_antidepressant_is_asked_for_monotherapy_since_2025(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk))
    assert not any("antidepressant" in label.lower() for label, _ in form.concomitant or ())
    assert not any("antidepressant" in m.field.lower() for m in form.missing)
    medicines = next(s for s in rems.sections(form) if s.title.startswith("Medicines"))
    assert "monotherapy in January 2025 (S44)" in medicines.note
    protocol = builtin("esketamine-label")
    assert source("S44") in protocol.sources and "monotherapy" in protocol.description

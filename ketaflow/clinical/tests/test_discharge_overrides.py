"""A prescriber may override soft reasons with a recorded reason, never the esketamine floor."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ketaflow.clinical.discharge import DischargeInputs, Override, assess_discharge
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import VitalSigns
from ketaflow.clinical.routes import Route

DONE = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
BASE = VitalSigns(sbp=128, dbp=82, hr=72, spo2=98, rr=14, moaas=5, cadss=1)
SETTLED = VitalSigns(sbp=132, dbp=84, hr=76, spo2=97, rr=14, moaas=5, cadss=1)


def inputs(route: Route = Route.IV, minutes: float = 150, **kw: object) -> DischargeInputs:
    fields: dict[str, object] = {
        "route": route,
        "dose_completed_at": DONE,
        "now": DONE + timedelta(minutes=minutes),
        "baseline": BASE,
        "latest": SETTLED,
        "aldrete_score": 10,
        "escort_present": True,
        "told_not_to_drive": True,
    }
    fields.update(kw)
    return DischargeInputs(**fields)  # type: ignore[arg-type]


def test_overriding_a_soft_reason_with_a_recorded_reason_makes_the_patient_ready() -> None:
    override = Override("vitals.bp_not_settled", "Asymptomatic, trending down, known HTN")
    result = assess_discharge(
        inputs(latest=replace(SETTLED, sbp=165, dbp=95), overrides=(override,))
    )
    assert result.ready
    assert result.blocking == ()
    (done,) = result.overridden
    assert done.override is override
    assert done.reason.code == "vitals.bp_not_settled"
    assert "S1" in {s.key for s in result.sources}


def test_overriding_one_soft_reason_leaves_the_others_blocking() -> None:
    result = assess_discharge(
        inputs(
            escort_present=False,
            aldrete_score=8,
            overrides=(Override("escort.absent", "Clinic taxi with a staff member"),),
        )
    )
    assert not result.ready
    assert [r.code for r in result.blocking] == ["recovery_score.low"]


def test_the_iv_observation_minimum_can_be_overridden() -> None:
    result = assess_discharge(
        inputs(minutes=45, overrides=(Override("observation.minimum", "Protocol deviation ok"),))
    )
    assert result.ready


def test_the_esketamine_floor_can_never_be_overridden() -> None:
    with pytest.raises(ClinicalInputError, match="never be overridden") as err:
        assess_discharge(
            inputs(
                Route.INTRANASAL,
                minutes=90,
                overrides=(Override("observation.esketamine_floor", "Patient insists"),),
            )
        )
    assert err.value.field == "overrides"


def test_the_esketamine_floor_override_is_refused_even_after_the_floor_has_passed() -> None:
    with pytest.raises(ClinicalInputError):
        assess_discharge(
            inputs(
                Route.INTRANASAL,
                overrides=(Override("observation.esketamine_floor", "just in case"),),
            )
        )


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"told_not_to_drive": False}, "instructions.driving_not_given"),
        ({"aldrete_score": None}, "recovery_score.not_recorded"),
        ({"latest": None}, "vitals.not_recorded"),
        ({"dissociation_resolved": False}, "dissociation.unresolved"),
    ],
)
def test_reasons_fixed_by_recording_something_cannot_be_overridden(
    kw: dict[str, object], code: str
) -> None:
    with pytest.raises(ClinicalInputError, match="cannot be overridden"):
        assess_discharge(inputs(overrides=(Override(code, "prescriber says so"),), **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("route", list(Route))
@pytest.mark.parametrize(
    ("latest", "code"),
    [
        (replace(SETTLED, moaas=3), "sedation.unresolved"),
        (replace(SETTLED, spo2=88), "vitals.spo2_low"),
        (replace(SETTLED, rr=8), "vitals.rr_out_of_range"),
        (replace(SETTLED, on_oxygen=True, oxygen_l_per_min=2), "vitals.on_oxygen"),
    ],
)
def test_breathing_and_sedation_cannot_be_overridden_on_any_route(
    route: Route, latest: VitalSigns, code: str
) -> None:
    # Was overridable for IV/SC/IM/oral (issue #11 item 4); only esketamine was hard.
    override = (Override(code, "Baseline drowsy on usual meds"),)
    with pytest.raises(ClinicalInputError, match="cannot be overridden") as err:
        assess_discharge(inputs(route, latest=latest, overrides=override))
    assert "REMS" in err.value.message


def test_an_override_needs_a_recorded_reason() -> None:
    with pytest.raises(ClinicalInputError, match="recorded reason"):
        Override("escort.absent", "   ")


def test_an_override_for_an_unknown_code_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError, match="no blocking reason"):
        assess_discharge(inputs(overrides=(Override("vibes.off", "because"),)))


def test_an_override_for_a_soft_reason_no_longer_in_force_is_ignored() -> None:
    result = assess_discharge(inputs(overrides=(Override("escort.absent", "taxi"),)))
    assert result.ready
    assert result.overridden == ()

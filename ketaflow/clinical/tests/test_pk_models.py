"""The model catalogue: sources, status flags, weight scaling, and the esketamine device rules."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Evidence
from ketaflow.clinical.pk import (
    ABSORPTION,
    DEFAULT_MODEL,
    MODELS,
    Bolus,
    PkRoute,
    Regimen,
    get_model,
    simulate,
    single_dose,
)
from ketaflow.clinical.pk.sources import ALL
from ketaflow.clinical.pk.systems import nasal_devices


def test_the_six_models_of_the_issue_exist_and_kamp_is_the_default():
    assert set(MODELS) == {"domino", "clements", "hijazi", "kamp", "herd", "esketamine-nasal"}
    assert DEFAULT_MODEL == "kamp"


def test_every_model_names_its_source_and_caveat_and_unverified_sets_need_sign_off():
    for m in MODELS.values():
        assert m.sources and m.caveat
        assert m.needs_local_signoff == (m.evidence is Evidence.UNVERIFIED)
    assert {k for k, m in MODELS.items() if m.needs_local_signoff} == {"domino", "clements", "kamp"}


def test_pk_source_keys_are_unique_and_dois_match_the_reference():
    assert len({s.key for s in ALL}) == len(ALL)
    assert MODELS["kamp"].sources[0].doi == "10.1097/ALN.0000000000003577"
    assert MODELS["esketamine-nasal"].sources[0].doi == "10.1007/s40262-020-00953-4"


def test_unknown_model_is_an_input_error_listing_the_choices():
    with pytest.raises(ClinicalInputError) as info:
        get_model("propofol")
    assert info.value.field == "model" and "kamp" in info.value.message


def test_herd_scales_clearance_allometrically_and_volume_linearly():
    p70, p35 = MODELS["herd"].mammillary(70), MODELS["herd"].mammillary(35)
    assert p35.v1[0] == pytest.approx(p70.v1[0] / 2)
    assert p35.cl[0] == pytest.approx(p70.cl[0] * 0.5**0.75)


def test_micro_constant_models_keep_their_rate_constants_at_any_weight():
    p = MODELS["domino"].mammillary(93)
    assert p.v1[0] == pytest.approx(0.063 * 93)
    assert [p.k10[0], p.k12[0], p.k21[0], p.k13[0], p.k31[0]] == pytest.approx(
        [0.4381, 0.5921, 0.2470, 0.5900, 0.0146]
    )


def test_mg_per_kg_dosing_makes_concentration_independent_of_weight_for_linear_scaling():
    def at40(w):
        r = single_dose(PkRoute.IV, 0.5 * w, 40)
        return simulate(MODELS["kamp"], w, r, [40]).concentration_ng_per_ml[0]

    assert at40(50) == pytest.approx(at40(110))


def test_absorption_routes_carry_their_uncertainty_range_and_evidence():
    for a in ABSORPTION.values():
        lo, hi = a.bioavailability_range
        assert 0 < lo <= a.bioavailability <= hi <= 1
    assert ABSORPTION[PkRoute.SC].evidence is Evidence.UNVERIFIED
    assert ABSORPTION[PkRoute.INTRANASAL].bioavailability_range == (0.11, 0.50)


def test_oral_ketamine_peaks_later_and_lower_than_the_same_im_dose():
    t = np.arange(0.0, 300.0)
    oral = simulate(MODELS["kamp"], 70, single_dose(PkRoute.ORAL, 35), t).concentration_ng_per_ml
    im = simulate(MODELS["kamp"], 70, single_dose(PkRoute.IM, 35), t).concentration_ng_per_ml
    assert oral.max() < im.max() and oral.argmax() > im.argmax()


def test_esketamine_doses_are_28_mg_devices_five_minutes_apart():
    assert nasal_devices(0, 84) == [0, 5, 10]
    with pytest.raises(ClinicalInputError):
        nasal_devices(0, 40)


def test_esketamine_56_mg_peaks_within_the_label_window_and_forms_noresketamine():
    t = np.arange(0.0, 241.0)
    regimen = Regimen(boluses=(Bolus(0, 56, PkRoute.INTRANASAL),))
    curve = simulate(MODELS["esketamine-nasal"], 70, regimen, t)
    assert (
        20 <= curve.times_min[curve.concentration_ng_per_ml.argmax()] <= 45
    )  # label: 20-40 min after the last device
    assert curve.metabolite == "noresketamine"
    assert curve.metabolite_ng_per_ml is not None and curve.metabolite_ng_per_ml.max() > 0


def test_esketamine_refuses_oral_and_racemic_models_refuse_nothing_they_list():
    with pytest.raises(ClinicalInputError) as info:
        simulate(MODELS["esketamine-nasal"], 70, single_dose(PkRoute.ORAL, 28), [10])
    assert info.value.field == "route"


@pytest.mark.parametrize("weight", [0, -1, float("nan"), 400])
def test_impossible_weights_are_refused(weight):
    with pytest.raises(ClinicalInputError) as info:
        simulate(MODELS["kamp"], weight, single_dose(PkRoute.IV, 35, 40), [40])
    assert info.value.field == "weight_kg"


@pytest.mark.parametrize("times", [[], [80, 40], [10, 10], [-1, 5], [float("inf")]])
def test_times_must_be_increasing_finite_and_not_negative(times):
    with pytest.raises(ClinicalInputError) as info:
        simulate(MODELS["kamp"], 70, single_dose(PkRoute.IV, 35, 40), times)
    assert info.value.field == "times"


def test_a_zero_length_infusion_is_refused():
    with pytest.raises(ClinicalInputError) as info:
        single_dose(PkRoute.IV, 35, 0)
    assert info.value.field == "minutes"

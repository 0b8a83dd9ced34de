"""The protocols Ketaflow ships, version 1 of each, with their sources.

- IV racemic ketamine: 6 infusions of 0.5 mg/kg over 40 min, 3 a week (Mon-Wed-Fri),
  then a tapering maintenance (clinical reference 3.1, 5.1, 5.3; S12, S15, S16, S6, S22).
- SC racemic ketamine for anxiety (Glue programme): ascending 0.25 -> 0.5 -> 1 mg/kg a
  week apart, then 1 mg/kg once (or twice) weekly for about 3 months in responders
  (reference 3.2, 5.1; S8, S9, S10, S11).
- Esketamine nasal spray per its label for TRD: weeks 1-4 twice weekly, weeks 5-8 weekly,
  week 9 on every 2 weeks (or weekly); 56 mg start (28 mg from age 65), then 56 or 84 mg
  (reference 3.3; S1, S2). Esketamine is on-label for depression, not anxiety; since
  January 2025 also as monotherapy, so no concomitant oral antidepressant is required (S44).

- Oral racemic ketamine, supervised titration (EXPERIMENTAL): 50 mg every 3 days, +25 mg
  every 3 days per response and tolerability (case series, S23); oral bioavailability ~20-25%,
  reported doses 0.25-7 mg/kg or 25-300 mg, evidence thin (S22b, cited as S22).
- Sublingual racemic ketamine, low dose (EXPERIMENTAL): 10 mg every 2-3 days or weekly
  (case series, S51).

Both are flagged `experimental` (shown wherever protocols are listed or adopted) and their
titration ceilings are clinic defaults. Racemic ketamine for anxiety is off-label everywhere
(S1, S38). Every UNVERIFIED number is
a default the clinic must sign off locally (`Protocol.needs_signoff()`).
"""

from __future__ import annotations

import math

from ketaflow.clinical.dosing.limits import DEFAULT_DOSING_LIMITS
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Evidence, cite, default
from ketaflow.clinical.protocols.model import DoseUnit, Phase, PhaseKind, Protocol, Setting
from ketaflow.clinical.routes import Route
from ketaflow.clinical.session_exceptions import MAX_PAUSE_MINUTES

V = Evidence.VERIFIED
S = Evidence.SECONDARY
U = Evidence.UNVERIFIED


def _count(
    value: int,
    *keys: str,
    evidence: Evidence = V,
    note: str = "",
    unit: str = "",
    minimum: int = 1,
    maximum: int | None = None,
    typical: tuple[float, float] | None = None,
) -> Setting[int]:
    return Setting(
        default(value, *keys, evidence=evidence, note=note),
        unit=unit,
        minimum=minimum,
        maximum=maximum,
        typical=typical,
    )


def _dose(
    value: float,
    *keys: str,
    evidence: Evidence = V,
    note: str = "",
    unit: DoseUnit = DoseUnit.MG_PER_KG,
) -> Setting[float]:
    value = float(value)
    if unit is DoseUnit.MG:  # esketamine: 28-mg devices, 28 to 84 mg (S1, S2)
        return Setting(
            default(value, *keys, evidence=evidence, note=note),
            unit=unit.value,
            minimum=28,
            maximum=84,
            step=28,
        )
    return Setting(
        default(value, *keys, evidence=evidence, note=note),
        unit=unit.value,
        minimum=0,
        exclusive_minimum=True,
    )


def _oral_mg(value: float, *keys: str, evidence: Evidence = V, note: str = "") -> Setting[float]:
    """A fixed oral/sublingual dose in mg, never above the oral route's hard mg cap."""
    return Setting(
        default(float(value), *keys, evidence=evidence, note=note),
        unit=DoseUnit.MG.value,
        minimum=0,
        exclusive_minimum=True,
        maximum=DEFAULT_DOSING_LIMITS.max_dose_mg(Route.ORAL),
    )


def _observation(
    value: int, *keys: str, evidence: Evidence, note: str, floor: int = 0
) -> Setting[int]:
    return _count(
        value, *keys, evidence=evidence, note=note, unit="min", minimum=floor, maximum=720
    )


def _fasting(value: int, *keys: str, evidence: Evidence, note: str) -> Setting[int]:
    return _count(value, *keys, evidence=evidence, note=note, unit="min", minimum=0, maximum=1440)


_ANXIETY_FASTING_NOTE = (
    "No psychiatric fasting guidance for ketamine; ASA procedural-sedation intervals are the "
    "conservative default (addendum 7)."
)


def _solids() -> Setting[int]:
    return _fasting(
        360, "A22", "A23", evidence=U, note="Solids/light meal 6 h. " + _ANXIETY_FASTING_NOTE
    )


def _clear_liquids() -> Setting[int]:
    return _fasting(
        120, "A22", "A23", evidence=U, note="Clear liquids 2 h. " + _ANXIETY_FASTING_NOTE
    )


def _anxiety_entry_thresholds() -> tuple[tuple[str, Setting[int]], ...]:
    """Glue programme registry entry thresholds (S11, read via a summary)."""
    return (
        (
            "hama",
            _count(20, "S11", evidence=S, minimum=0, maximum=56, note="GAD: HAM-A above 20."),
        ),
        (
            "lsas",
            _count(
                50,
                "S11",
                evidence=S,
                minimum=0,
                maximum=144,
                note="SAD: LSAS self-report above 50.",
            ),
        ),
    )


def _anxiety_failed_treatments() -> Setting[int]:
    return _count(
        2,
        "S8",
        "S9",
        "S1",
        "S38",
        evidence=U,
        minimum=0,
        note="Glue: 'treatment-refractory', count not published; 2 mirrors the TRD definition "
        "(S1, S38). No consensus for anxiety (reference 1.2).",
    )


def _percent(value: float, *keys: str, evidence: Evidence = V, note: str = "") -> Setting[float]:
    return Setting(
        default(value, *keys, evidence=evidence, note=note), unit="%", minimum=0, maximum=100
    )


def iv_induction() -> Protocol:
    """IV racemic ketamine: 6-infusion induction then tapering maintenance."""
    mg_kg = _dose(0.5, "S12", "S15", "S22", note="0.5 mg/kg over 40 min, actual body weight.")
    taper_dose = _dose(0.5, "S6", "S22", evidence=U, note="Maintenance dose: case by case (S6).")
    taper_note = (
        "IV maintenance is Level 3 evidence, decided case by case (S6); give the next dose "
        "before the expected wear-off (S22); median time to relapse after 6 infusions was 18 "
        "days (S15). Spacing is a local decision."
    )
    phases = (
        Phase(
            code="induction",
            name="Induction: 6 infusions, 3 a week",
            kind=PhaseKind.INDUCTION,
            sessions=_count(6, "S15", "S16", note="Up to 6 infusions over 12 days."),
            sessions_per_period=_count(3, "S15", note="Mon-Wed-Fri."),
            period_days=_count(7, "S15"),
            min_days_between_sessions=_count(
                2, "S15", evidence=U, note="Mon-Wed-Fri gives 2 days; no stated minimum."
            ),
            doses=(mg_kg,),
            sources=cite("S15", "S16"),
        ),
        Phase(
            code="taper_weekly",
            name="Maintenance taper: weekly",
            kind=PhaseKind.MAINTENANCE,
            sessions=_count(2, "S6", "S22", evidence=U, note=taper_note),
            sessions_per_period=_count(1, "S6", "S22", evidence=U, note=taper_note),
            period_days=_count(7, "S6", "S22", evidence=U, note=taper_note),
            min_days_between_sessions=_count(5, "S6", evidence=U, note=taper_note),
            doses=(taper_dose,),
            requires_response=True,
            description="For responders only (S15 followed responders).",
            sources=cite("S6", "S22", "S15"),
        ),
        Phase(
            code="taper_fortnightly",
            name="Maintenance taper: every 2 weeks",
            kind=PhaseKind.MAINTENANCE,
            sessions=_count(2, "S6", "S22", evidence=U, note=taper_note),
            sessions_per_period=_count(1, "S6", "S22", evidence=U, note=taper_note),
            period_days=_count(14, "S6", "S22", evidence=U, note=taper_note),
            min_days_between_sessions=_count(7, "S6", evidence=U, note=taper_note),
            doses=(taper_dose,),
            sources=cite("S6", "S22"),
        ),
        Phase(
            code="maintenance",
            name="Maintenance: every 4 weeks, lowest effective frequency",
            kind=PhaseKind.MAINTENANCE,
            sessions=None,
            sessions_per_period=_count(1, "S22", evidence=U, note=taper_note),
            period_days=_count(
                28,
                "S22",
                "S19",
                evidence=U,
                note="Every 4 weeks was allowed in the esketamine extension (S19b); " + taper_note,
            ),
            min_days_between_sessions=_count(7, "S6", evidence=U, note=taper_note),
            doses=(taper_dose,),
            sources=cite("S6", "S22", "S19"),
        ),
    )
    return Protocol(
        code="iv-racemic",
        name="IV ketamine: 6-infusion induction, tapering maintenance",
        version=1,
        route=Route.IV,
        dose_unit=DoseUnit.MG_PER_KG,
        description=(
            "Off-label racemic ketamine 0.5 mg/kg IV over 40 min, 3 a week for 6 infusions "
            "(Murrough 2013; Taylor 2018 in social anxiety), review after infusion 4 (S17), "
            "then weekly -> fortnightly -> 4-weekly maintenance for responders."
        ),
        sources=cite("S12", "S15", "S16", "S17", "S22", "S6"),
        phases=phases,
        infusion_minutes=_count(
            40,
            "S12",
            "S15",
            "S22",
            unit="min",
            # The dosing core's hard floor: a protocol cannot propose an infusion it refuses.
            minimum=math.ceil(DEFAULT_DOSING_LIMITS.infusion.hard_min_minutes.value),
            maximum=240,
            typical=(40, 60),
            note="Most trials: 40 min; 2-100 min have been used (S22), but the hard floor is "
            "20 min (clinic default; rapid IV ketamine risks apnoea, S4).",
        ),
        max_pause_minutes=Setting(MAX_PAUSE_MINUTES, unit="min", minimum=1, maximum=120),
        observation_minutes=_observation(
            60,
            "S24",
            "S25",
            "S52",
            evidence=U,
            note="No published IV minimum; 60 min after the infusion ends is the clinic "
            "default (as in discharge.DischargePolicy). Vitals were back to baseline by "
            "~1.5 h in one cohort (S52); the SPRAVATO 2 h (S1, S3) is the stricter choice.",
        ),
        review_after_session=_count(
            4, "S17", note="< 20% better 24 h after infusion 4 signals non-response."
        ),
        non_response_below_pct=_percent(
            20.0, "S17", note="Depression (MADRS) data applied to anxiety scales."
        ),
        fasting_solids_minutes=_solids(),
        fasting_clear_liquids_minutes=_clear_liquids(),
        entry_thresholds=_anxiety_entry_thresholds(),
        min_failed_adequate_treatments=_anxiety_failed_treatments(),
    )


def sc_ascending_anxiety() -> Protocol:
    """SC racemic ketamine for anxiety: Glue's ascending doses, then weekly maintenance."""
    glue = ("S8", "S10", "S11")
    phases = (
        Phase(
            code="ascending",
            name="Ascending doses, weekly",
            kind=PhaseKind.INDUCTION,
            sessions=_count(3, *glue, note="0.25, 0.5 then 1 mg/kg about a week apart."),
            sessions_per_period=_count(1, *glue),
            period_days=_count(7, *glue),
            min_days_between_sessions=_count(
                6, *glue, evidence=U, note="'About 1 week apart': exact minimum not published."
            ),
            doses=(
                _dose(0.25, *glue, note="Minor changes at 0.25 mg/kg (S8, S10)."),
                _dose(0.5, *glue),
                _dose(1.0, *glue),
            ),
            sources=cite(*glue),
        ),
        Phase(
            code="maintenance",
            name="Maintenance for responders: 1 mg/kg weekly for about 3 months",
            kind=PhaseKind.MAINTENANCE,
            sessions=_count(
                13, "S9", evidence=S, note="3 months once weekly; twice weekly would be 26."
            ),
            sessions_per_period=_count(
                1, "S9", evidence=S, maximum=2, note="Once weekly; twice weekly allowed (S9)."
            ),
            period_days=_count(7, "S9", evidence=S),
            min_days_between_sessions=_count(
                3, "S9", evidence=U, note="Allows twice weekly; no stated minimum."
            ),
            doses=(_dose(1.0, "S9", "S11", evidence=S, note="Individualised in the registry."),),
            requires_response=True,
            description="Enter on >= 50% improvement in anxiety ratings (S11).",
            sources=cite("S9", "S11"),
        ),
    )
    return Protocol(
        code="sc-racemic-anxiety",
        name="SC ketamine for anxiety: ascending doses, weekly maintenance",
        version=1,
        route=Route.SC,
        dose_unit=DoseUnit.MG_PER_KG,
        description=(
            "Off-label subcutaneous racemic ketamine for treatment-refractory GAD/SAD "
            "(Glue 2017, 2018, 2020): 0.25 -> 0.5 -> 1 mg/kg weekly, then 1 mg/kg once or "
            "twice weekly for about 3 months in responders (>= 50% improvement)."
        ),
        sources=cite("S8", "S9", "S10", "S11", "S13"),
        phases=phases,
        infusion_minutes=None,
        observation_minutes=_observation(
            120,
            "S1",
            "S3",
            evidence=U,
            note="No SC minimum published; mirrors the SPRAVATO 2 h (S1, S3).",
        ),
        review_after_session=_count(
            3, "S11", evidence=S, note="End of the ascending series: responders continue."
        ),
        non_response_below_pct=_percent(
            20.0, "S17", evidence=U, note="S17's IV-depression signal applied to SC anxiety."
        ),
        fasting_solids_minutes=_solids(),
        fasting_clear_liquids_minutes=_clear_liquids(),
        entry_thresholds=_anxiety_entry_thresholds(),
        min_failed_adequate_treatments=_anxiety_failed_treatments(),
    )


def esketamine_label() -> Protocol:
    """Esketamine nasal spray for TRD per the SPRAVATO label (S1, S2)."""
    label = ("S1", "S2")
    start = _dose(56, *label, unit=DoseUnit.MG, note="Day 1: 56 mg (under 65).")
    then = _dose(56, *label, unit=DoseUnit.MG, note="56 or 84 mg; 28-mg steps.")
    start_65 = _dose(28, *label, unit=DoseUnit.MG, note="Day 1 from age 65: 28 mg.")
    then_65 = _dose(28, *label, unit=DoseUnit.MG, note="28, 56 or 84 mg from age 65.")
    phases = (
        Phase(
            code="induction",
            name="Induction: weeks 1-4, twice weekly",
            kind=PhaseKind.INDUCTION,
            sessions=_count(8, *label, note="8 doses over 4 weeks."),
            sessions_per_period=_count(2, *label),
            period_days=_count(7, *label),
            min_days_between_sessions=_count(
                2, *label, evidence=U, note="The label gives no minimum interval."
            ),
            doses=(start, then),
            older_adult_doses=(start_65, then_65),
            sources=cite(*label),
        ),
        Phase(
            code="weekly",
            name="Maintenance: weeks 5-8, weekly",
            kind=PhaseKind.MAINTENANCE,
            sessions=_count(4, *label),
            sessions_per_period=_count(1, *label),
            period_days=_count(7, *label),
            min_days_between_sessions=_count(
                5, *label, evidence=U, note="The label gives no minimum interval."
            ),
            doses=(then,),
            older_adult_doses=(then_65,),
            requires_response=True,
            description="Evaluate therapeutic benefit at the end of induction (S1, S2).",
            sources=cite(*label),
        ),
        Phase(
            code="maintenance",
            name="Maintenance: week 9 on, every 2 weeks or weekly",
            kind=PhaseKind.MAINTENANCE,
            sessions=None,
            sessions_per_period=_count(1, *label),
            period_days=_count(
                14, *label, "S19", note="Every 2 weeks or weekly: lowest effective frequency."
            ),
            min_days_between_sessions=_count(
                5, *label, evidence=U, note="The label gives no minimum interval."
            ),
            doses=(then,),
            older_adult_doses=(then_65,),
            sources=cite(*label, "S19"),
        ),
    )
    return Protocol(
        code="esketamine-label",
        name="Esketamine nasal spray (SPRAVATO) per label, TRD",
        version=1,
        route=Route.INTRANASAL,
        dose_unit=DoseUnit.MG,
        description=(
            "On-label for treatment-resistant depression only, not anxiety (S1, S38). "
            "Approved as monotherapy since 21 Jan 2025: no concomitant oral antidepressant "
            "is required (S44). "
            "REMS: given under supervision, observed at least 2 h (S3)."
        ),
        sources=cite("S1", "S2", "S3", "S19", "S44"),
        phases=phases,
        infusion_minutes=None,
        observation_minutes=_observation(
            120,
            "S1",
            "S3",
            evidence=V,
            floor=120,
            note="At least 2 h and until sedation, dissociation and respiratory depression "
            "resolve (label/REMS floor).",
        ),
        fasting_solids_minutes=_fasting(
            120, "S1", "A21", evidence=V, note="No food for 2 h (nausea, vomiting)."
        ),
        fasting_clear_liquids_minutes=_fasting(
            30, "S1", "A21", evidence=V, note="No liquids for 30 min."
        ),
        min_failed_adequate_treatments=_count(
            2, "S1", "S38", "S2", minimum=0, note="TRD: >= 2 antidepressants failed this episode."
        ),
        review_after_session=_count(8, *label, note="Evaluate benefit at end of induction."),
        non_response_below_pct=_percent(
            20.0, "S17", evidence=U, note="The label gives no number; S17 is IV ketamine."
        ),
        older_adult_from_age=_count(65, *label, minimum=18, maximum=120),
    )


_ORAL_OBSERVATION_NOTE = (
    "Every dose of this protocol is given in clinic, observed and discharged like any session. "
    "No oral minimum is published: 2 h mirrors the SPRAVATO floor (S1, S3) and "
    "discharge.observation_min_oral. The FDA warns of respiratory depression and BP rises "
    "with home-use ketamine (S34)."
)


def oral_titration() -> Protocol:
    """Oral racemic ketamine: supervised titration 50 -> 75 -> 100 mg every 3 days (S23)."""
    every_3 = "Every 3 days (case series, S23)."
    phases = (
        Phase(
            code="titration",
            name="Supervised titration: every 3 days, +25 mg per response and tolerability",
            kind=PhaseKind.INDUCTION,
            sessions=_count(
                3,
                "S23",
                evidence=U,
                note="The published example's steps 50 -> 75 -> 100 mg; the series titrated "
                "per response, so the count is a clinic default.",
            ),
            sessions_per_period=_count(1, "S23", note=every_3),
            period_days=_count(3, "S23", note=every_3),
            min_days_between_sessions=_count(
                3, "S23", evidence=U, note="Every 3 days; no stated minimum."
            ),
            doses=(
                _oral_mg(50, "S23", note="Start: 50 mg (case series, TRD)."),
                _oral_mg(75, "S23", note="+25 mg after 3 days per response and tolerability."),
                _oral_mg(100, "S23", note="+25 mg after 3 more days."),
            ),
            sources=cite("S23"),
        ),
        Phase(
            code="maintenance",
            name="Maintenance: the tolerated dose every 3 days",
            kind=PhaseKind.MAINTENANCE,
            sessions=None,
            sessions_per_period=_count(1, "S23", evidence=U, note=every_3),
            period_days=_count(3, "S23", evidence=U, note=every_3),
            min_days_between_sessions=_count(
                3, "S23", evidence=U, note="Every 3 days; no stated minimum."
            ),
            doses=(
                _oral_mg(
                    100,
                    "S23",
                    "S22",
                    evidence=U,
                    note="The top of the published example's steps; individualise within the "
                    "titration ceilings.",
                ),
            ),
            requires_response=True,
            description="For responders; further steps only through titration (S23).",
            sources=cite("S23", "S22"),
        ),
    )
    return Protocol(
        code="oral-racemic-titration",
        name="Oral ketamine: supervised titration every 3 days (experimental)",
        version=1,
        route=Route.ORAL,
        dose_unit=DoseUnit.MG,
        description=(
            "EXPERIMENTAL, needs local sign-off: off-label oral racemic ketamine, evidence thin "
            "(S22b). Oral bioavailability ~20-25%; reported doses 0.25-7 mg/kg or 25-300 mg. "
            "Case-series titration: 50 mg every 3 days, +25 mg every 3 days per response and "
            "tolerability (S23). Every dose supervised in clinic; titration stops on side "
            "effects, BP, sedation, dissociation or misuse signals. The FDA warned in 2023 "
            "about home-use ketamine (S34)."
        ),
        sources=cite("S22", "S23", "S34"),
        phases=phases,
        infusion_minutes=None,
        observation_minutes=_observation(120, "S1", "S3", evidence=U, note=_ORAL_OBSERVATION_NOTE),
        fasting_solids_minutes=_solids(),
        fasting_clear_liquids_minutes=_clear_liquids(),
        min_failed_adequate_treatments=_count(
            2,
            "S23",
            "S1",
            "S38",
            evidence=U,
            minimum=0,
            note="The case series treated TRD (S23); 2 failed treatments mirrors the TRD "
            "definition (S1, S38).",
        ),
        review_after_session=_count(
            3, "S23", evidence=U, note="End of the published example's titration steps."
        ),
        non_response_below_pct=_percent(
            20.0, "S17", evidence=U, note="S17's IV-depression signal applied to oral ketamine."
        ),
        experimental=True,
        titration_step_mg=_oral_mg(
            25, "S23", note="+25 mg every 3 days per response and tolerability."
        ),
        titration_min_days=_count(
            3, "S23", evidence=U, note="Steps every 3 days; no stated minimum.", minimum=0
        ),
        max_mg_per_dose=_oral_mg(
            150,
            "S22",
            "S23",
            evidence=U,
            note="Clinic default, no published ceiling: half the top reported fixed oral dose "
            "(300 mg, S22b) and ~2 mg/kg at 75 kg, inside the ~2.0-2.5 mg/kg suggested as "
            "IV-equivalent (S22b); reached from 50 mg in 4 steps of 25 mg (S23).",
        ),
        max_mg_per_7_days=Setting(
            default(
                300.0,
                "S22",
                "S23",
                "S34",
                evidence=U,
                note="Clinic default, no published weekly ceiling: the top reported single "
                "fixed dose (300 mg, S22b) per rolling 7 days. At the every-3-days rhythm "
                "(3 doses in 7 days) it allows 100 mg per dose, or 150 mg twice a week.",
            ),
            unit="mg",
            minimum=0,
            exclusive_minimum=True,
            maximum=2100,
        ),
    )


def sublingual_low_dose() -> Protocol:
    """Sublingual racemic ketamine: 10 mg every 2-3 days or weekly (S51)."""
    lara = "S51"
    return Protocol(
        code="sublingual-racemic-low-dose",
        name="Sublingual ketamine: low dose every 2-3 days (experimental)",
        version=1,
        route=Route.ORAL,
        dose_unit=DoseUnit.MG,
        description=(
            "EXPERIMENTAL, needs local sign-off: off-label very-low-dose sublingual racemic "
            "ketamine, 10 mg every 2-3 days or weekly (case series, S51). Sublingual "
            "bioavailability is higher than oral (32% vs 23%, Chong 2006, PK sources); the "
            "order's curve uses the oral model. Every dose supervised in clinic. The FDA "
            "warned in 2023 about home-use ketamine (S34)."
        ),
        sources=cite(lara, "S34"),
        phases=(
            Phase(
                code="treatment",
                name="Low dose every 2-3 days (or weekly)",
                kind=PhaseKind.INDUCTION,
                sessions=None,
                sessions_per_period=_count(1, lara, note="Every 2-3 days or weekly (S51)."),
                period_days=_count(
                    3, lara, typical=(2, 7), note="Every 2-3 days; weekly also reported."
                ),
                min_days_between_sessions=_count(
                    2, lara, evidence=U, note="Every 2-3 days: 2 days apart at the most often."
                ),
                doses=(_oral_mg(10, lara, note="10 mg sublingual (case series)."),),
                sources=cite(lara),
            ),
        ),
        infusion_minutes=None,
        observation_minutes=_observation(120, "S1", "S3", evidence=U, note=_ORAL_OBSERVATION_NOTE),
        fasting_solids_minutes=_solids(),
        fasting_clear_liquids_minutes=_clear_liquids(),
        min_failed_adequate_treatments=_count(
            2,
            lara,
            "S1",
            "S38",
            evidence=U,
            minimum=0,
            note="Mirrors the TRD definition (S1, S38); S51's entry criteria not recorded.",
        ),
        review_after_session=_count(
            4, lara, "S17", evidence=U, note="About 2 weeks at every 3 days; clinic default."
        ),
        non_response_below_pct=_percent(
            20.0, "S17", evidence=U, note="S17's IV-depression signal applied to sublingual."
        ),
        experimental=True,
        titration_step_mg=_oral_mg(
            5, lara, evidence=U, note="S51 reports one dose (10 mg), no steps: clinic default."
        ),
        titration_min_days=_count(
            7, lara, evidence=U, minimum=0, note="No published steps: at most one a week."
        ),
        max_mg_per_dose=_oral_mg(
            20,
            lara,
            "S22",
            evidence=U,
            note="Clinic default, no published ceiling: twice S51's 10 mg, still below the "
            "lowest reported oral dose (25 mg, S22b).",
        ),
        max_mg_per_7_days=Setting(
            default(
                40.0,
                lara,
                evidence=U,
                note="Clinic default: 10 mg every 2 days is at most 4 doses (40 mg) in 7 days "
                "(S51's most frequent schedule); a higher dose only less often.",
            ),
            unit="mg",
            minimum=0,
            exclusive_minimum=True,
            maximum=2100,
        ),
    )


def builtin_protocols() -> dict[str, Protocol]:
    """Version 1 of every shipped protocol by code."""
    return {
        p.code: p
        for p in (
            iv_induction(),
            sc_ascending_anxiety(),
            esketamine_label(),
            oral_titration(),
            sublingual_low_dose(),
        )
    }


def builtin(code: str) -> Protocol:
    try:
        return builtin_protocols()[code]
    except KeyError:
        known = ", ".join(builtin_protocols())
        raise ClinicalInputError(
            f"no built-in protocol {code!r} (known: {known})", field="code"
        ) from None


__all__ = [
    "builtin",
    "builtin_protocols",
    "esketamine_label",
    "iv_induction",
    "oral_titration",
    "sc_ascending_anxiety",
    "sublingual_low_dose",
]

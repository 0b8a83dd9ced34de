"""The thresholds monitoring alerts use, with the evidence behind each default.

Every value is a `ClinicDefault` so a clinic can tune it in its protocol and a screen can
show where it came from. Values the reference could not verify (SpO2, respiratory and
heart-rate triggers, the deep-sedation level, recheck intervals) carry
`Evidence.UNVERIFIED` and so `needs_local_signoff`.

Comparison conventions are part of the name: `*_above` means "strictly greater than"
(the labels say "> 140/90", "> 180/100"), `*_at_or_above` means ">=" (label Table 6
reports SBP >= 180, DBP >= 110, rises >= 40 / >= 25), `*_below` means "<".
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, default

_UNV = Evidence.UNVERIFIED


@dataclass(frozen=True)
class MonitoringThresholds:
    """Protocol values for vital-sign and sedation alerts (see module docstring)."""

    # Pre-dose: SPRAVATO "> 140/90" -> consider delaying, "as a general guide" (S1).
    predose_caution_sbp_above: ClinicDefault[float] = default(
        140.0, "S1", note="SPRAVATO label: consider delaying treatment if BP > 140/90."
    )
    predose_caution_dbp_above: ClinicDefault[float] = default(
        90.0, "S1", note="SPRAVATO label: consider delaying treatment if BP > 140/90."
    )
    # Pre-dose: Swiss ketamine label, resting BP > 180/100 = uncontrolled hypertension,
    # a contraindication (S4); clinic example of no treatment above 140/90 (S54).
    predose_do_not_start_sbp_above: ClinicDefault[float] = default(
        180.0, "S4", note="Swiss ketamine label: resting BP > 180/100 is a contraindication."
    )
    predose_do_not_start_dbp_above: ClinicDefault[float] = default(
        100.0, "S4", note="Swiss ketamine label: resting BP > 180/100 is a contraindication."
    )
    # In session: the SPRAVATO label's categories of marked elevation (Table 6, S1); an
    # institutional protocol acts at > 180/110 (S53). Used as the act-now level.
    session_sbp_at_or_above: ClinicDefault[float] = default(
        180.0,
        "S1",
        "S53",
        note="Label Table 6 category (SBP >= 180); applying it as an action trigger is a "
        "clinic choice. Yip 2022 (S27) warns against over-treating transient rises.",
    )
    session_dbp_at_or_above: ClinicDefault[float] = default(
        110.0, "S1", "S53", note="Label Table 6 category (DBP >= 110)."
    )
    session_sbp_rise_at_or_above: ClinicDefault[float] = default(
        40.0, "S1", note="Label Table 6 category: SBP rise >= 40 mmHg from pre-dose."
    )
    session_dbp_rise_at_or_above: ClinicDefault[float] = default(
        25.0, "S1", note="Label Table 6 category: DBP rise >= 25 mmHg from pre-dose."
    )
    # SpO2: anchors of the modified Aldrete score (> 92 % room air normal; < 90 % = 0)
    # (S41). No ketamine-specific trigger was found.
    spo2_warn_below: ClinicDefault[float] = default(
        92.0, "S41", evidence=_UNV, note="Aldrete anchor; ketamine-specific trigger unverified."
    )
    spo2_critical_below: ClinicDefault[float] = default(
        90.0, "S41", evidence=_UNV, note="Aldrete anchor; ketamine-specific trigger unverified."
    )
    # Respiratory rate: respiratory status must be monitored (S1, S2) and CNS depressants
    # add respiratory depression (S4, S49); no numeric trigger was found.
    rr_low_below: ClinicDefault[float] = default(
        10.0, "S1", "S2", evidence=_UNV, note="No published ketamine RR trigger; placeholder."
    )
    rr_high_above: ClinicDefault[float] = default(
        24.0, "S2", evidence=_UNV, note="No published ketamine RR trigger; placeholder."
    )
    # Heart rate: ketamine raises HR, occasionally bradycardia (S4); an institutional
    # protocol acts on HR > 120 sustained 5 min (S53, low quality).
    hr_low_below: ClinicDefault[float] = default(
        50.0, "S4", evidence=_UNV, note="No published ketamine HR floor; placeholder."
    )
    hr_high_above: ClinicDefault[float] = default(
        120.0, "S53", "S4", evidence=_UNV, note="Institutional example (forum post, S53)."
    )
    # Sedation: any fall of MOAA/S from pre-dose is sedation, 0 is loss of consciousness
    # (S1); ketamine outside anaesthesia should not cause excessive sedation or
    # unresponsiveness (ASA, S35/A15). Where "excessive" begins is a clinic choice.
    moaas_deep_sedation_at_or_below: ClinicDefault[int] = default(
        2,
        "S1",
        "S35",
        "A15",
        evidence=_UNV,
        note="MOAA/S 2 = responds only to prodding/shaking; level for pausing is local.",
    )
    # MOAA/S is scored on the scales panel, vitals on the flowsheet: a MOAA/S counts with a
    # reading (for the combined breathing-and-sedation rule) when scored this close to it.
    moaas_pairing_minutes: ClinicDefault[int] = default(
        15,
        "S1",
        evidence=_UNV,
        note="Local choice: how far apart a MOAA/S and a set of vitals may be and still be "
        "read together.",
    )
    # CADSS > 4: research convention for "significant dissociation" (A16), not a
    # validated clinical trigger (A17): informational only.
    cadss_research_convention_above: ClinicDefault[int] = default(
        4, "A16", "A17", note="Research convention, not a validated trigger (A17)."
    )
    # How soon to recheck after a warning: an institution repeats BP after 5 min (S53).
    recheck_warn_minutes: ClinicDefault[int] = default(
        5, "S53", evidence=_UNV, note="Institutional example; local choice."
    )
    recheck_critical_minutes: ClinicDefault[int] = default(
        5, "S53", evidence=_UNV, note="Institutional example; local choice."
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name).value
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ClinicalInputError(
                    f"threshold must be a non-negative number, got {value!r}", field=f.name
                )
        self._ordered("predose_caution_sbp_above", "predose_do_not_start_sbp_above")
        self._ordered("predose_caution_dbp_above", "predose_do_not_start_dbp_above")
        self._ordered("spo2_critical_below", "spo2_warn_below")
        self._ordered("rr_low_below", "rr_high_above")
        self._ordered("hr_low_below", "hr_high_above")
        if self.spo2_warn_below.value > 100:
            raise ClinicalInputError("SpO2 threshold cannot exceed 100 %", field="spo2_warn_below")
        if self.moaas_deep_sedation_at_or_below.value > 4:
            raise ClinicalInputError(
                "deep-sedation MOAA/S level must be 0-4 (5 is fully alert)",
                field="moaas_deep_sedation_at_or_below",
            )
        for name in ("recheck_warn_minutes", "recheck_critical_minutes"):
            if getattr(self, name).value < 1:
                raise ClinicalInputError("recheck interval must be at least 1 minute", field=name)

    def _ordered(self, low: str, high: str) -> None:
        if getattr(self, low).value > getattr(self, high).value:
            raise ClinicalInputError(
                f"{low} ({getattr(self, low).value:g}) must not exceed "
                f"{high} ({getattr(self, high).value:g})",
                field=low,
            )

    def needing_signoff(self) -> tuple[str, ...]:
        """Names of the thresholds whose defaults need local clinical sign-off."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name).needs_local_signoff)


DEFAULT_THRESHOLDS = MonitoringThresholds()

__all__ = ["DEFAULT_THRESHOLDS", "MonitoringThresholds"]

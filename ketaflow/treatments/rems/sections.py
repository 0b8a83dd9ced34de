"""The record as printed: titled sections of label/value rows and tables.

The HTML page and the PDF both print `sections(form)`, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ketaflow.treatments.rems.form import RemsForm
from ketaflow.treatments.rems.rules import BP_40_TARGET_MIN, BP_40_WINDOW_MIN


@dataclass(frozen=True)
class Section:
    """A titled block of the record: label/value rows and/or a table (first row = header).

    The HTML page and the PDF both print `sections(form)`, so they never disagree.
    """

    title: str
    rows: tuple[tuple[str, str], ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    note: str = ""


NOT_RECORDED: Final = "not recorded"


def hm(dt: datetime | None) -> str:
    return f"{dt:%H:%M}" if dt is not None else NOT_RECORDED


def yn(value: bool | None) -> str:
    return {True: "Yes", False: "No", None: NOT_RECORDED}[value]


def since(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return f"{-minutes} min before" if minutes < 0 else f"{minutes} min"


def _num(value: float | None, unit: str = "") -> str:
    return NOT_RECORDED if value is None else f"{value:g}{unit}"


def sections(form: RemsForm) -> list[Section]:
    """The record as printed, in order."""
    out = [
        Section(
            "Patient",
            (
                ("First name", form.given_name),
                ("Last name", form.family_name),
                ("Date of birth", f"{form.date_of_birth:%d %b %Y}"),
                ("Sex", form.sex),
                ("MRN", form.mrn),
                ("First esketamine session at this clinic", yn(form.first_treatment)),
                ("Enrolled in the SPRAVATO REMS", "not recorded in Ketaflow"),
            ),
        ),
        Section(
            "Medicines taken today that may cause sedation or blood-pressure changes",
            tuple((label, yn(taken)) for label, taken in form.concomitant)
            if form.concomitant is not None
            else (("Concomitant medicines", NOT_RECORDED),),
            note="From the pre-session checklist (taken today). No oral antidepressant is "
            "required alongside esketamine: approved as monotherapy in January 2025 (S44).",
        ),
        Section(
            "Setting and staff",
            (
                ("Healthcare setting", form.clinic_name),
                ("Prescriber (confirmed the dose)", form.prescriber or NOT_RECORDED),
                ("Monitoring staff", ", ".join(form.monitoring_staff) or NOT_RECORDED),
                ("Monitoring HCP email", form.monitoring_email or NOT_RECORDED),
                (
                    "Session signed",
                    f"{form.signed_by} at {hm(form.signed_at)}" if form.signed_by else "No",
                ),
            ),
        ),
        Section(
            "Session and dose",
            (
                ("Treatment date", f"{form.session_date:%d %b %Y}"),
                ("Session number in the course", str(form.session_number)),
                ("Dose (from the order)", form.dose_choice),
                (
                    "Devices (28 mg each)",
                    str(form.devices) if form.devices is not None else NOT_RECORDED,
                ),
                ("Delivered (administration record)", f"{form.delivered_mg:g} mg"),
                ("Lot number", form.lot or NOT_RECORDED),
                ("Time of dose administration (first device)", hm(form.first_device_at)),
                (
                    "Each device",
                    "; ".join(f"{hm(a.at)} {_num(a.mg, ' mg')}" for a in form.administrations)
                    or NOT_RECORDED,
                ),
            ),
        ),
        Section(
            "Vital signs",
            (
                ("Vital signs acceptable before dosing", yn(form.vitals_ok_before_dosing)),
                ("Vital signs acceptable before the session ended", yn(form.vitals_ok_before_end)),
            ),
            table=(
                ("Point", "Time", "After 1st device", "BP", "HR", "SpO2", "RR", "Alerts"),
                *(
                    (
                        v.label,
                        hm(v.at),
                        since(v.minutes_after_dose),
                        v.bp,
                        _num(v.hr),
                        _num(v.spo2, " %"),
                        _num(v.rr),
                        " ".join(v.alerts) or ("none" if v.found else ""),
                    )
                    for v in form.vitals
                ),
            ),
            note="The reading nearest each point: the last before the first device, the one "
            f"nearest {BP_40_TARGET_MIN} min after it (within {BP_40_WINDOW_MIN} min), the last "
            "before discharge. Acceptable = no alert under the clinic's thresholds.",
        ),
        Section(
            "Sedation, dissociation and respiratory depression",
            (("Pulse oximetry during the session", yn(form.pulse_oximetry)),),
            table=(
                ("Item", "Occurred", "Charted", "Resolved at"),
                *(
                    (
                        label,
                        f.answer,
                        "; ".join(f.evidence) or "-",
                        hm(f.resolved_at) if f.present else "-",
                    )
                    for label, f in (
                        ("Sedation (MOAA/S below 5)", form.sedation),
                        ("Dissociation (CADSS above pre-dose)", form.dissociation),
                        ("Respiratory depression (SpO2 / RR alerts)", form.respiratory_depression),
                    )
                ),
            ),
        ),
        Section(
            "In-session scales",
            table=(
                ("Time", "After 1st device", "Scale", "Score"),
                *(
                    (hm(s.at), since(s.minutes_after_dose), s.instrument, str(s.value))
                    for s in sorted(form.moaas + form.cadss, key=lambda s: s.at)
                ),
            )
            if form.moaas or form.cadss
            else (),
            note="" if form.moaas or form.cadss else "No MOAA/S or CADSS after dosing.",
        ),
        Section(
            "Adverse events and side effects",
            (("Rescue medication", "; ".join(form.rescues) or "none"),),
            table=(
                ("Event", "Severity", "Onset", "Resolved"),
                *(
                    (
                        e.label,
                        e.severity,
                        hm(e.onset_at),
                        hm(e.resolved_at) if e.resolved_at else "-",
                    )
                    for e in form.adverse_events
                ),
            )
            if form.adverse_events
            else (),
            note="" if form.adverse_events else "No side effects charted.",
        ),
        Section(
            "Leaving",
            (
                (
                    "Ready to leave without the 2-hour minimum",
                    f"{hm(form.ready_to_leave_at)} ({form.ready_to_leave_minutes} min after the "
                    "first device)"
                    if form.ready_to_leave_at is not None
                    else NOT_RECORDED,
                ),
                ("Discharged at", hm(form.discharged_at)),
                (
                    "Total monitoring time (first device to discharge)",
                    f"{form.total_monitoring_minutes} min"
                    if form.total_monitoring_minutes is not None
                    else NOT_RECORDED,
                ),
                (f"At least {form.minimum_minutes} minutes", yn(form.meets_minimum_monitoring)),
                ("Left with an escort", yn(form.escort_present)),
                ("Told not to drive until the next day", yn(form.told_not_to_drive)),
            ),
            note="Ready to leave = when sedation, dissociation and respiratory depression had "
            "resolved and the vital signs no longer raised alerts (from the charted values).",
        ),
    ]
    return out

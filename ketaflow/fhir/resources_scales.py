"""Rating scales as FHIR: a Questionnaire per instrument, a QuestionnaireResponse per form
completed, and an Observation for its score.

Licence decides wording (the core's `Licence`): free instruments (GAD-7, PHQ-9, PCL-5) carry
their published item text; short-label instruments (HAM-A, LSAS, CADSS, MOAA/S, Aldrete,
PADSS) carry only the short labels the core may show; licensed total-only scales (Y-BOCS,
PDSS, C-SSRS) carry no items at all, just the clinician-entered total or risk level. LOINC
codes appear only where the core holds them; otherwise an element is text only.
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel as Resource

from ketaflow.clinical.instruments import (
    AnyInstrument,
    Item,
    ItemInstrument,
    Licence,
    RiskLevelInstrument,
    TotalInstrument,
    get_instrument,
)
from ketaflow.fhir import codes, ids
from ketaflow.fhir.resources_common import (
    build,
    encounter_ref,
    in_error,
    instant,
    patient_ref,
    ref,
    text_concept,
)
from ketaflow.questionnaires.models import InstrumentResponse

TOTAL_LINK = "total"
RISK_LINK = "risk_level"
AGORAPHOBIA_LINK = "agoraphobia"


def coded_options(item: Item) -> bool:
    """Answers go out as LOINC answer codes when the core has one for every option."""
    return bool(item.options) and all(o.loinc for o in item.options)


def item_text(instrument: AnyInstrument, item: Item) -> str:
    return item.text if instrument.licence is Licence.FREE and item.text else item.label


def _item(instrument: ItemInstrument, item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {
        "linkId": item.key,
        "prefix": str(item.number),
        "text": item_text(instrument, item),
        "required": item.required,
    }
    if item.loinc:
        out["code"] = [codes.coding(codes.LOINC, item.loinc)]
    if coded_options(item):
        out["type"] = "choice"
        out["answerOption"] = [
            {"valueCoding": codes.coding(codes.LOINC, str(o.loinc))} for o in item.options
        ]
    else:
        out["type"] = "integer"
        out["answerOption"] = [{"valueInteger": v} for v in range(item.minimum, item.maximum + 1)]
    return out


def _description(instrument: AnyInstrument) -> str:
    rater = "self-report" if instrument.rater.value == "self" else "clinician-rated"
    parts = [f"{instrument.full_name} ({rater}; recall {instrument.recall_period})."]
    if instrument.licence is Licence.SHORT_LABELS:
        parts.append("Items carry short labels only: the published wording is licensed.")
    elif instrument.licence is Licence.TOTAL_ONLY:
        parts.append(
            "Licensed scale: no items or wording are held; the total (or risk level) is "
            "entered by a clinician from the clinic's licensed form."
        )
    return " ".join(parts)


def questionnaire(code: str) -> Resource:
    instrument = get_instrument(code)
    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument.code,
        "url": ids.questionnaire_url(instrument.code),
        "name": instrument.code.upper(),
        "title": instrument.name,
        "status": codes.allowed_code("Questionnaire", "status", "active"),
        "subjectType": ["Patient"],
        "description": _description(instrument),
    }
    if instrument.loinc_panel:
        data["code"] = [codes.coding(codes.LOINC, instrument.loinc_panel)]
    if isinstance(instrument, ItemInstrument):
        data["item"] = [_item(instrument, it) for it in instrument.items]
    elif isinstance(instrument, TotalInstrument):
        data["item"] = [
            {
                "linkId": TOTAL_LINK,
                "text": f"{instrument.name} total ({instrument.minimum}-{instrument.maximum})",
                "type": "integer",
                "required": True,
            }
        ]
        if instrument.has_agoraphobia_variant:
            data["item"].append(
                {
                    "linkId": AGORAPHOBIA_LINK,
                    "text": "Agoraphobia present (selects the severity bands)",
                    "type": "boolean",
                    "required": True,
                }
            )
    else:
        assert isinstance(instrument, RiskLevelInstrument)
        data["item"] = [
            {
                "linkId": RISK_LINK,
                "text": f"{instrument.name} risk level",
                "type": "string",
                "required": True,
                "answerOption": [{"valueString": lvl.code} for lvl in instrument.levels],
            }
        ]
    return build(data)


def _answer(item: Item, value: int) -> dict[str, Any]:
    if coded_options(item):
        option = next(o for o in item.options if o.value == value)
        return {"valueCoding": codes.coding(codes.LOINC, str(option.loinc))}
    return {"valueInteger": value}


def session_pk(response: InstrumentResponse) -> int | None:
    prefix, _, rest = response.context_ref.partition(":")
    return int(rest) if prefix == "session" and rest.isdigit() else None


def questionnaire_response(r: InstrumentResponse) -> Resource:
    instrument = get_instrument(r.instrument)
    items: list[dict[str, Any]] = []
    if isinstance(instrument, ItemInstrument):
        for it, value in zip(instrument.items, r.answers, strict=False):
            if value is None:
                continue
            items.append(
                {
                    "linkId": it.key,
                    "text": item_text(instrument, it),
                    "answer": [_answer(it, int(value))],
                }
            )
    elif isinstance(instrument, TotalInstrument):
        if r.total is not None:
            items.append({"linkId": TOTAL_LINK, "answer": [{"valueInteger": r.total}]})
        if r.agoraphobia is not None:
            items.append({"linkId": AGORAPHOBIA_LINK, "answer": [{"valueBoolean": r.agoraphobia}]})
    elif r.risk_level:
        items.append({"linkId": RISK_LINK, "answer": [{"valueString": r.risk_level}]})
    status = "entered-in-error" if in_error(r) else "completed"
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": ids.make("qr", r.pk),
        "questionnaire": ids.questionnaire_url(instrument.code),
        "status": codes.allowed_code("QuestionnaireResponse", "status", status),
        "subject": patient_ref(r.patient_id),
        "authored": instant(r.administered_at),
    }
    session = session_pk(r)
    if session is not None:
        data["encounter"] = encounter_ref(session)
    if items:
        data["item"] = items
    return build(data)


def score_observation(r: InstrumentResponse) -> Resource:
    instrument = get_instrument(r.instrument)
    if isinstance(instrument, RiskLevelInstrument):
        code: dict[str, Any] = text_concept(f"{instrument.name} risk level")
    elif instrument.loinc_total:
        code = codes.concept(codes.LOINC, instrument.loinc_total, f"{instrument.name} total score")
    else:
        code = text_concept(f"{instrument.name} total score")
    status = "entered-in-error" if in_error(r) else "final"
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ids.make("score", r.pk),
        "status": codes.allowed_code("Observation", "status", status),
        "category": [codes.concept(codes.OBSERVATION_CATEGORY, "survey")],
        "code": code,
        "subject": patient_ref(r.patient_id),
        "effectiveDateTime": instant(r.administered_at),
        "derivedFrom": [ref("QuestionnaireResponse", ids.make("qr", r.pk))],
    }
    session = session_pk(r)
    if session is not None:
        data["encounter"] = encounter_ref(session)
    if r.total is not None:
        data["valueInteger"] = r.total
    elif r.risk_level:
        data["valueString"] = r.risk_level
    if r.severity and not isinstance(instrument, RiskLevelInstrument):
        data["interpretation"] = [text_concept(r.severity)]
    notes = [f"Severity bands: {r.band_set}"] if r.band_set else []
    notes += [str(f.get("message", "")) for f in r.flags if f.get("message")]
    if notes:
        data["note"] = [{"text": n} for n in notes]
    return build(data)

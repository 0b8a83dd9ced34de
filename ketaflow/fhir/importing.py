"""Reading a QuestionnaireResponse from another app (GAD-7, PHQ-9) into an import plan.

Nothing is stored here: `plan_import` either returns everything the questionnaires service
needs (instrument, answers by item key, time, patient, provenance) or raises a FhirProblem
listing every issue found, each with a FHIRPath `expression` naming the element at fault.
The score is not computed here either: the questionnaires service scores with the core.

Accepted shapes, so that forms built from LOINC or from our own Questionnaire both work:
- `questionnaire`: our canonical (`<base>/Questionnaire/gad7`), LOINC's
  (`http://loinc.org/q/69737-5`), or any canonical ending in the LOINC panel code or our
  instrument code (a `|version` suffix is ignored);
- item `linkId`: our item key (`item_3`), the item number (`3`), or the item's LOINC code
  (`69733-4` or `/69733-4`); groups without answers are looked into;
- answers: `valueInteger`, or `valueCoding` with the LOINC answer code (LA6568-5…);
- an item carrying the total score (LOINC 70274-6 / 44261-6, or linkId `total`) is
  accepted only if it equals the total the core computes;
- `subject`: `identifier` = the patient's MRN (system: this clinic's MRN system, or none),
  or `reference` = `Patient/pat-<id>` from one of our exports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError as PydanticError

from ketaflow.accounts.models import User
from ketaflow.clinical.instruments import Item, ItemInstrument, get_item_instrument
from ketaflow.fhir import codes, ids
from ketaflow.fhir.outcome import FhirProblem, Issue
from ketaflow.fhir.resources_common import build
from ketaflow.lib.clock import FUTURE_TOLERANCE
from ketaflow.patients.models import Patient

IMPORTABLE = ("gad7", "phq9")
QR = "QuestionnaireResponse"


@dataclass(frozen=True)
class ImportPlan:
    instrument_code: str
    answers: dict[int | str, int | None]  # item key → answer
    administered_at: datetime
    patient: Patient
    questionnaire: str
    source_identifier: str
    source_id: str
    payload_sha256: str
    item_paths: dict[str, str]  # item key → FHIRPath of the item it came from


def parse_json(raw: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirProblem(400, [Issue("structure", f"The body is not valid JSON: {exc}")]) from exc
    if not isinstance(data, dict):
        raise FhirProblem(400, [Issue("structure", "The body must be a JSON object.")])
    return data


def _pydantic_path(loc: tuple[Any, ...]) -> str:
    path = QR
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part) != "__root__":
            path += f".{part}"
    return path


def _validated(data: dict[str, Any]) -> Any:
    kind = data.get("resourceType")
    if kind != QR:
        raise FhirProblem(
            400,
            [
                Issue(
                    "invalid",
                    f"Expected a QuestionnaireResponse, got resourceType {kind!r}.",
                    "resourceType",
                )
            ],
        )
    try:
        return build(data)
    except PydanticError as exc:
        issues = [
            Issue("structure", str(e.get("msg", "invalid")), _pydantic_path(tuple(e["loc"])))
            for e in exc.errors()
        ]
        raise FhirProblem(400, issues) from exc


def instrument_for(canonical: str) -> ItemInstrument | None:
    """The importable instrument a canonical names, or None."""
    url = canonical.split("|", 1)[0].rstrip("/")
    last = url.rsplit("/", 1)[-1]
    for code in IMPORTABLE:
        instrument = get_item_instrument(code)
        if url == ids.questionnaire_url(code) or last in (code, instrument.loinc_panel):
            return instrument
    return None


def _leaves(items: list[Any], path: str) -> Iterator[tuple[Any, str]]:
    """Items that carry answers, with their FHIRPath; answerless groups are looked into."""
    for index, item in enumerate(items or []):
        here = f"{path}.item[{index}]"
        if item.answer:
            yield item, here
        elif item.item:
            yield from _leaves(item.item, here)
        else:
            yield item, here


def _link_map(instrument: ItemInstrument) -> dict[str, Item]:
    found: dict[str, Item] = {}
    for it in instrument.items:
        found[it.key] = it
        found[str(it.number)] = it
        if it.loinc:
            found[it.loinc] = it
            found["/" + it.loinc] = it
    return found


def _total_links(instrument: ItemInstrument) -> set[str]:
    links = {"total"}
    if instrument.loinc_total:
        links |= {instrument.loinc_total, "/" + instrument.loinc_total}
    return links


def _answer_value(item: Item, answer: Any, path: str, issues: list[Issue]) -> int | None:
    allowed = f"allowed {item.minimum}-{item.maximum}"
    if answer.valueInteger is not None:
        value = int(answer.valueInteger)
    elif answer.valueCoding is not None:
        coding = answer.valueCoding
        option = next((o for o in item.options if o.loinc and o.loinc == coding.code), None)
        if option is None or (coding.system not in (None, codes.LOINC)):
            shown = f"{coding.system or ''}|{coding.code or ''}"
            valid = ", ".join(f"{o.loinc} ({o.value})" for o in item.options if o.loinc)
            issues.append(
                Issue(
                    "value",
                    f"{shown} is not an answer of this item (use {valid or 'valueInteger'}).",
                    f"{path}.valueCoding",
                )
            )
            return None
        value = option.value
    else:
        issues.append(
            Issue("value", f"Give the answer as valueInteger ({allowed}).", f"{path}.value[x]")
        )
        return None
    if not item.minimum <= value <= item.maximum:
        issues.append(Issue("value", f"{value} is out of range ({allowed}).", f"{path}"))
        return None
    return value


def _patient(actor: User, subject: Any, issues: list[Issue]) -> Patient | None:
    where = f"{QR}.subject"
    if subject is None:
        issues.append(Issue("required", "Say whose response this is (subject).", where))
        return None
    patients = Patient.objects.filter(clinic_id=actor.clinic_pk)
    clinic_system = ids.mrn_system(actor.clinic.slug if actor.clinic else "")
    if subject.identifier is not None and subject.identifier.value:
        system = subject.identifier.system
        if system not in (None, clinic_system):
            issues.append(
                Issue(
                    "not-found",
                    f"Unknown identifier system {system!r}: use {clinic_system!r} (the MRN).",
                    f"{where}.identifier.system",
                )
            )
            return None
        found = patients.filter(mrn=subject.identifier.value).first()
        if found is None:
            issues.append(
                Issue(
                    "not-found",
                    f"No patient with MRN {subject.identifier.value!r} in your clinic.",
                    f"{where}.identifier.value",
                )
            )
        return found
    if subject.reference:
        kind, _, fhir_id = str(subject.reference).partition("/")
        parsed = ids.parse("Patient", fhir_id) if kind == "Patient" else None
        found = patients.filter(pk=parsed.pk).first() if parsed else None
        if found is None:
            issues.append(
                Issue(
                    "not-found",
                    f"No patient {subject.reference!r} in your clinic.",
                    f"{where}.reference",
                )
            )
        return found
    issues.append(
        Issue("required", "Identify the patient by identifier (MRN) or reference.", where)
    )
    return None


def _items(
    instrument: ItemInstrument, qr: Any, issues: list[Issue]
) -> tuple[dict[int | str, int | None], dict[str, str], list[tuple[int, str]]]:
    links = _link_map(instrument)
    totals = _total_links(instrument)
    answers: dict[int | str, int | None] = {}
    paths: dict[str, str] = {}
    claimed_totals: list[tuple[int, str]] = []
    for item, path in _leaves(qr.item or [], QR):
        link = str(item.linkId)
        if link in totals:
            answer = (item.answer or [None])[0]
            value = getattr(answer, "valueInteger", None) if answer else None
            if value is None:
                issues.append(Issue("value", "A total must be a valueInteger.", path))
            else:
                claimed_totals.append((int(value), path))
            continue
        target = links.get(link)
        if target is None:
            issues.append(
                Issue(
                    "invalid",
                    f"{instrument.name} has no item {link!r} (linkIds: item_1… or the item's "
                    "LOINC code).",
                    f"{path}.linkId",
                )
            )
            continue
        if target.key in answers or target.key in paths:
            issues.append(Issue("invalid", f"{target.describe(instrument.name)} twice.", path))
            continue
        paths[target.key] = path
        given = item.answer or []
        if len(given) != 1:
            issues.append(
                Issue(
                    "required" if not given else "invalid",
                    f"{target.describe(instrument.name)} needs exactly one answer.",
                    f"{path}.answer",
                )
            )
            continue
        value = _answer_value(target, given[0], f"{path}.answer[0]", issues)
        if value is not None:
            answers[target.key] = value
    for it in instrument.items:
        if it.required and it.key not in paths:
            code = f" / LOINC {it.loinc}" if it.loinc else ""
            issues.append(
                Issue(
                    "required",
                    f"{it.describe(instrument.name)} is missing (linkId {it.key}{code}); every "
                    "item needs an answer, a missing one is never scored as 0.",
                    f"{QR}.item",
                )
            )
    return answers, paths, claimed_totals


def _identifier(qr: Any) -> str:
    ident = qr.identifier
    if ident is None or not ident.value:
        return ""
    return f"{ident.system or ''}|{ident.value}"[:300]


def plan_import(actor: User, data: dict[str, Any], now: datetime) -> ImportPlan:
    """Check one QuestionnaireResponse completely; raise FhirProblem with every issue found."""
    qr = _validated(data)
    issues: list[Issue] = []
    instrument = instrument_for(str(qr.questionnaire or ""))
    if instrument is None:
        accepted = ", ".join(ids.questionnaire_url(c) for c in IMPORTABLE)
        raise FhirProblem(
            422,
            [
                Issue(
                    "not-supported",
                    f"Unknown questionnaire {qr.questionnaire!r}: Ketaflow imports GAD-7 and "
                    f"PHQ-9 ({accepted}, or the LOINC panels 69737-5 / 44249-1).",
                    f"{QR}.questionnaire",
                )
            ],
        )
    if qr.status not in ("completed", "amended"):
        issues.append(
            Issue(
                "business-rule",
                f"Only completed responses are imported (status is {qr.status!r}).",
                f"{QR}.status",
            )
        )
    authored = qr.authored
    if authored is None:
        issues.append(Issue("required", "Give the time it was completed.", f"{QR}.authored"))
    elif not isinstance(authored, datetime) or authored.tzinfo is None:
        issues.append(Issue("value", "Give a date and time with its time zone.", f"{QR}.authored"))
        authored = None
    elif authored > now + FUTURE_TOLERANCE:
        issues.append(Issue("value", "This is in the future.", f"{QR}.authored"))
    patient = _patient(actor, qr.subject, issues)
    answers, paths, totals = _items(instrument, qr, issues)
    if not issues:
        computed = instrument.score(answers).total
        for claimed, path in totals:
            if claimed != computed:
                issues.append(
                    Issue(
                        "value",
                        f"The total sent ({claimed}) is not the total of the answers ({computed}).",
                        path,
                    )
                )
    if issues or patient is None or authored is None:
        status = 422
        raise FhirProblem(status, issues)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return ImportPlan(
        instrument_code=instrument.code,
        answers=answers,
        administered_at=authored,
        patient=patient,
        questionnaire=str(qr.questionnaire)[:300],
        source_identifier=_identifier(qr),
        source_id=str(qr.id or "")[:64],
        payload_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        item_paths=paths,
    )

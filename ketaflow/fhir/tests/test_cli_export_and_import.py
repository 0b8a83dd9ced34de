"""`ketaflow fhir export|import`: Bundles on disk, audit on channel cli, all-or-nothing import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from fhir.resources.R4B.bundle import Bundle

from ketaflow.audit.models import AccessEvent
from ketaflow.fhir.tests.test_questionnaire_response_import import gad7
from ketaflow.questionnaires.models import InstrumentResponse

pytestmark = pytest.mark.django_db


def test_export_one_patient_writes_a_valid_bundle(world: Any, tmp_path: Path) -> None:
    out = tmp_path / "jane.json"
    call_command(
        "fhir", "export", "--patient", "KF-000001", "--clinic", "riverside", "--output", str(out)
    )
    bundle = Bundle.model_validate_json(out.read_text())
    assert bundle.type == "collection"
    assert any(e.resource.id == f"mai-{world.session.pk}" for e in bundle.entry)
    (event,) = AccessEvent.objects.filter(action="export", patient=world.patient)
    assert event.channel == "cli" and event.actor is None
    assert event.actor_label.startswith("cli:")


def test_export_all_writes_one_bundle_per_patient(
    patient: Any, clinic: Any, nurse: Any, tmp_path: Path
) -> None:
    from ketaflow.patients.services import register_patient

    second = register_patient(
        nurse, given_name="Ada", family_name="Lovelace", date_of_birth="1990-12-10",
        sex_at_birth="female",
    )  # fmt: skip
    call_command(
        "fhir", "export", "--all", "--clinic", "Riverside Clinic", "--output", str(tmp_path),
        "--type", "searchset", "--as", nurse.username,
    )  # fmt: skip
    files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert files == sorted([f"{patient.mrn}.json", f"{second.mrn}.json"])
    for path in tmp_path.glob("*.json"):
        assert Bundle.model_validate_json(path.read_text()).type == "searchset"
    events = AccessEvent.objects.filter(action="export", channel="cli", actor=nurse)
    assert {e.patient_id for e in events} == {patient.pk, second.pk}


def test_export_refuses_unknown_clinics_and_patients(patient: Any, tmp_path: Path) -> None:
    out = str(tmp_path / "x.json")
    with pytest.raises(CommandError, match="No single clinic"):
        call_command("fhir", "export", "--all", "--clinic", "nowhere", "--output", out)
    with pytest.raises(CommandError, match="No patient"):
        call_command(
            "fhir", "export", "--patient", "KF-9", "--clinic", "riverside", "--output", out
        )


def test_import_stores_a_response(patient: Any, nurse: Any, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "qr.json"
    path.write_text(json.dumps(gad7(patient.mrn, [1, 1, 1, 1, 0, 1, 2])))
    call_command("fhir", "import", "--input", str(path), "--as", nurse.username)
    assert "Imported gad7 total 7" in capsys.readouterr().out
    stored = InstrumentResponse.objects.get(patient=patient)
    assert stored.context == "follow_up"
    assert AccessEvent.objects.filter(action="create", channel="cli", patient=patient).exists()


def test_ndjson_import_is_all_or_nothing(patient: Any, nurse: Any, tmp_path: Path) -> None:
    good = gad7(patient.mrn, [1] * 7, id="a")
    bad = gad7(patient.mrn, [1] * 7, id="b")
    bad["item"][1]["answer"] = [{"valueInteger": 9}]
    path = tmp_path / "qr.ndjson"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(CommandError) as raised:
        call_command("fhir", "import", "--input", str(path), "--as", nurse.username)
    assert raised.value.returncode == 2
    assert "line 2: QuestionnaireResponse.item[1].answer[0]" in str(raised.value)
    assert not InstrumentResponse.objects.exists()


def test_import_refuses_bad_json_and_roles_that_may_not(
    patient: Any, clinic_admin: Any, nurse: Any, tmp_path: Path
) -> None:
    path = tmp_path / "qr.json"
    path.write_text("{nope")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("fhir", "import", "--input", str(path), "--as", nurse.username)
    path.write_text(json.dumps(gad7(patient.mrn, [1] * 7)))
    with pytest.raises(CommandError, match="edit_clinical"):
        call_command("fhir", "import", "--input", str(path), "--as", clinic_admin.username)
    assert not InstrumentResponse.objects.exists()

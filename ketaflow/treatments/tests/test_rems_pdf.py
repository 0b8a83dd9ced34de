"""The PDF download: parses, carries the key values, is marked DRAFT until signed."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ketaflow.audit.models import AccessEvent
from ketaflow.treatments import rems
from ketaflow.treatments.rems import pdf
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


def text_of(data: bytes) -> str:
    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_pdf_parses_and_holds_dose_times_and_moaas(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk))
    text = text_of(pdf.render(form))
    assert rems.TITLE in text
    assert "not the official SPRAVATO REMS" in text and "within 7 days" in text
    assert "56 mg" in text and "ESK-LOT-4711" in text and "KF-000001" in text
    assert f"{form.first_device_at:%H:%M}" in text
    for score in form.moaas:
        assert f"{score.at:%H:%M}" in text
    assert "MOAA/S" in text and "122/78" in text and "150/92" in text and "124/79" in text
    assert "140 min" in text
    assert "DRAFT" not in text


def test_an_unsigned_session_prints_with_a_draft_watermark(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk, sign=False))
    reader = PdfReader(BytesIO(pdf.render(form)))
    for page in reader.pages:
        assert "session not signed" in (page.extract_text() or "")
    assert "DRAFT" in text_of(pdf.render(form))


def test_a_record_of_made_up_data_is_marked_synthetic_on_every_page(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    from dataclasses import replace

    from ketaflow.lib.pdf_style import SYNTHETIC_MARK

    form = rems.assemble(esketamine_session(nurse, prescriber, esk))
    assert not form.synthetic and SYNTHETIC_MARK not in text_of(pdf.render(form))
    reader = PdfReader(BytesIO(pdf.render(replace(form, synthetic=True))))
    assert all(SYNTHETIC_MARK in (page.extract_text() or "") for page in reader.pages)


def test_missing_fields_are_printed_as_missing(esk: Any, nurse: Any, prescriber: Any) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk, lot=False))
    text = text_of(pdf.render(form))
    assert "Not in the record" in text
    assert "No controlled-substance log entry with a lot." in text


def test_the_download_is_a_named_pdf_and_an_audited_export(
    client: Any, login: Any, esk: Any, nurse: Any, prescriber: Any
) -> None:
    session = esketamine_session(nurse, prescriber, esk)
    r = login(client, nurse).get(reverse("treatments:rems_pdf", args=[session.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    day = rems.assemble(session).session_date
    assert f'filename="rems-monitoring-KF-000001-{day:%Y-%m-%d}.pdf"' in r["Content-Disposition"]
    assert r.content.startswith(b"%PDF")
    event = AccessEvent.objects.filter(action="export", actor=nurse).get()
    assert event.patient_id == session.patient_id
    assert event.detail["format"] == "pdf" and event.detail["part"] == "rems_monitoring_record"

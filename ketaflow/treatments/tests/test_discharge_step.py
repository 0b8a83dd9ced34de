"""The discharge-readiness step (issue #13): the modified Aldrete and the PADSS with the
assessment in one submit; a refused discharge keeps what was typed and lists its reasons once,
in plain words; the checklist's escort is the first answer for "escort present"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments import derive, services
from ketaflow.treatments.models import DischargeRecord, SessionStatus
from ketaflow.treatments.tests.conftest import fresh, make_discharge_ready, recovery_post

pytestmark = pytest.mark.django_db

#: A dotted internal code such as observation.minimum or vitals.spo2_low.
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b")


def _url(session: Any) -> str:
    return reverse("treatments:act", args=[session.pk, "discharge"])


def _post(client: Any, session: Any, **data: Any) -> Any:
    return client.post(_url(session), {"version": fresh(session).version, **data})


def _panel(html: str) -> str:
    """The discharge card's HTML."""
    start = html.index('<section class="card" id="discharge"')
    return html[start : html.index("</section>", start)]


def _words(html: str) -> str:
    """What a person reads: the text, without tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _recovery(session: Any, code: str) -> Any:
    return InstrumentResponse.objects.filter(context_ref=f"session:{session.pk}", instrument=code)


def test_one_submit_records_the_aldrete_and_the_padss_and_the_assessment_takes_both(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    c = login(client, nurse)
    data = recovery_post(aldrete=2, padss=2) | {"padss-bleeding": "1"}
    r = _post(c, observing, dissociation_resolved="yes", **data)
    assert r.status_code == 302, r.content.decode()[:2000]
    (aldrete,) = _recovery(observing, "aldrete")
    (padss,) = _recovery(observing, "padss")
    assert aldrete.total == 10 and padss.total == 9
    assert aldrete.context == "in_session" and aldrete.recorded_by == nurse
    last = derive.latest_discharge(fresh(observing))
    assert last is not None and (last.aldrete_score, last.padss_score) == (10, 9)
    assert last.dissociation_resolved is True
    # The page shows the saved answers; saving them again records no second score.
    page = c.get(reverse("treatments:session", args=[observing.pk])).content.decode()
    assert 'name="aldrete-activity" value="2" required id="id_aldrete-activity_0" checked' in (
        page
    ) or re.search(r'name="aldrete-activity" value="2"[^>]*checked', page)
    assert _post(c, observing, dissociation_resolved="yes", **data).status_code == 302
    assert (
        _recovery(observing, "aldrete").count() == 1 and _recovery(observing, "padss").count() == 1
    )
    assert DischargeRecord.objects.filter(session=observing).count() == 2


@pytest.mark.parametrize("missing", ["aldrete", "padss"])
def test_either_score_missing_is_refused_naming_the_item_and_nothing_is_stored(
    client: Any, login: Any, nurse: Any, observing: Any, missing: str
) -> None:
    data = recovery_post(**{missing: None})  # type: ignore[arg-type]
    r = _post(login(client, nurse), observing, dissociation_resolved="yes", **data)
    assert r.status_code == 422
    panel = _panel(r.content.decode())
    name = "Modified Aldrete" if missing == "aldrete" else "PADSS"
    assert f"{name} item 1" in panel and "unanswered" in panel
    other = "padss" if missing == "aldrete" else "aldrete"
    assert re.search(rf'name="{other}-[a-z_]+" value="2"[^>]*checked', panel)  # kept as typed
    assert '<option value="yes" selected>' in panel
    assert not _recovery(observing, "aldrete").exists()
    assert not _recovery(observing, "padss").exists()
    assert not DischargeRecord.objects.filter(session=observing).exists()


def test_a_refused_discharge_keeps_what_was_typed_and_lists_the_reasons_once_in_plain_words(
    client: Any, login: Any, nurse: Any, prescriber: Any, observing: Any
) -> None:
    session = make_discharge_ready(nurse, observing)
    c = login(client, prescriber)
    r = _post(
        c,
        session,
        discharge="on",
        dissociation_resolved="yes",
        escort_present="",  # unticked
        told_not_to_drive="",  # not told: a hard reason
        **recovery_post(aldrete=2, padss=1),
        **{"override:escort.absent": "Clinic taxi with a carer, booked"},
    )
    assert r.status_code == 422
    panel = _panel(r.content.decode())
    words = _words(panel)
    # what was typed is still there
    assert re.search(r'name="aldrete-respiration" value="2"[^>]*checked', panel)
    assert re.search(r'name="padss-intake_output" value="1"[^>]*checked', panel)
    assert '<option value="yes" selected>' in panel
    assert 'value="Clinic taxi with a carer, booked"' in panel
    assert 'name="told_not_to_drive" checked' not in panel
    # one list, the core's sentences, no internal codes
    assert "Not discharged: not ready to leave yet." in words
    assert panel.count('class="blocking-reasons"') == 1
    assert "Tell the patient not to drive or use machinery until the next day" in words
    assert "No responsible adult to accompany the patient home." in words  # overridden, kept
    assert not CODE.findall(words), CODE.findall(words)
    assert "Not ready to leave:" not in r.content.decode()  # not again as a message on top
    # nothing stored
    assert fresh(session).status == SessionStatus.OBSERVING
    assert not DischargeRecord.objects.filter(session=session).exists()
    assert not _recovery(session, "aldrete").exists()


def test_the_discharge_goes_through_when_ready(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    session = make_discharge_ready(nurse, observing)
    r = _post(
        login(client, nurse),
        session,
        discharge="on",
        dissociation_resolved="yes",
        escort_present="on",
        told_not_to_drive="on",
        **recovery_post(),
    )
    assert r.status_code == 302
    assert fresh(session).status == SessionStatus.DISCHARGED
    last = derive.latest_discharge(fresh(session))
    assert last is not None and last.escort_present and last.discharged_at is not None


def test_the_checklist_escort_is_the_first_answer_and_the_nurse_confirms_it(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    c = login(client, nurse)
    page = c.get(reverse("treatments:session", args=[observing.pk])).content.decode()
    panel = _panel(page)
    assert re.search(r'<input type="checkbox" id="dc-escort" name="escort_present" checked', panel)
    assert "From the checklist: Sam Doe, 07700 900123." in _words(panel)
    # Still only an answer on the form: nothing is recorded until the nurse saves.
    assert derive.latest_discharge(observing) is None
    assert _post(c, observing, escort_present="on", **recovery_post()).status_code == 302
    last = derive.latest_discharge(fresh(observing))
    assert last is not None and last.escort_present and last.recorded_by == nurse
    # She can untick it; then the saved answer, not the checklist's, is shown.
    assert _post(c, observing, escort_present="", **recovery_post()).status_code == 302
    panel = _panel(c.get(reverse("treatments:session", args=[observing.pk])).content.decode())
    assert not re.search(r'id="dc-escort" name="escort_present" checked', panel)


def test_an_escort_carries_over_only_with_a_name_and_a_phone_as_the_checklist_counts_it(
    nurse: Any, checked_in: Any
) -> None:
    services.save_checklist(nurse, checked_in, checked_in.version, escort_name=" Sam Doe ")
    assert derive.checklist_escort(fresh(checked_in)) is None
    services.save_checklist(
        nurse, checked_in, fresh(checked_in).version, escort_phone="07700 900123"
    )
    assert derive.checklist_escort(fresh(checked_in)) == ("Sam Doe", "07700 900123")

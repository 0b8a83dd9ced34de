"""Alcohol, recreational drugs, intoxication today: asked, and a "yes" needs a prescriber.

Issue #11 item 6. Not asked: the start waits. All "no": passes. Any "yes": blocks until a
prescriber decides, with a reason, to proceed (a caution stays) or to defer (still blocked).
The page, the API and the start service refuse alike.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from ketaflow.lib.tests.api_client import call
from ketaflow.treatments import derive, services
from ketaflow.treatments.models import SessionStatus, SubstanceDecision
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db


def answer(nurse: Any, session: Any, **answers: Any) -> Any:
    return services.save_checklist(nurse, session, fresh(session).version, **answers)


def start(actor: Any, session: Any) -> Any:
    return services.record_administration(
        actor, session, fresh(session).version, kind="start", rate_ml_per_h=52.5
    )


def item(session: Any) -> Any:
    return derive.checklist_of(fresh(session), timezone.now()).item("substances")


def test_unasked_questions_keep_the_checklist_from_passing(checked_in: Any, nurse: Any) -> None:
    assert item(checked_in).status.value == "missing"
    answer(nurse, checked_in, alcohol_today=False, drugs_today=False)
    assert item(checked_in).status.value == "missing"
    answer(nurse, checked_in, intoxication_signs=False)
    assert item(checked_in).status.value == "ok"


def test_a_yes_blocks_the_start_even_from_a_ready_session(ordered: Any, nurse: Any) -> None:
    answer(nurse, ordered, alcohol_today=True)
    assert fresh(ordered).status == SessionStatus.CHECKED_IN
    assert item(ordered).status.value == "blocking"
    with pytest.raises(ValidationError) as err:
        start(nurse, ordered)
    assert "Alcohol, drugs, intoxication today" in str(err.value)


def test_a_nurse_cannot_decide(ordered: Any, nurse: Any) -> None:
    answer(nurse, ordered, drugs_today=True)
    with pytest.raises(PermissionDenied):
        services.record_substance_decision(
            nurse, ordered, fresh(ordered).version, decision="proceed", reason="fine"
        )


def test_a_prescribers_proceed_with_a_reason_lets_the_start_go_with_a_caution(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    answer(nurse, ordered, alcohol_today=True)
    with pytest.raises(ValidationError) as err:
        services.record_substance_decision(
            prescriber, ordered, fresh(ordered).version, decision="proceed", reason=" "
        )
    assert "reason" in err.value.message_dict
    services.record_substance_decision(
        prescriber,
        ordered,
        fresh(ordered).version,
        decision="proceed",
        reason="One glass of wine last evening; sober, breath test 0.",
    )
    found = item(ordered)
    assert found.status.value == "caution" and "breath test 0" in found.message
    assert fresh(ordered).status == SessionStatus.READY
    start(nurse, ordered)


def test_a_defer_keeps_the_start_blocked(ordered: Any, nurse: Any, prescriber: Any) -> None:
    answer(nurse, ordered, intoxication_signs=True)
    services.record_substance_decision(
        prescriber, ordered, fresh(ordered).version, decision="defer", reason="Slurred speech."
    )
    assert item(ordered).status.value == "blocking"
    with pytest.raises(ValidationError):
        start(nurse, ordered)


def test_a_new_yes_after_the_decision_needs_a_new_one(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    answer(nurse, ordered, alcohol_today=True)
    services.record_substance_decision(
        prescriber, ordered, fresh(ordered).version, decision="proceed", reason="Wine last night."
    )
    answer(nurse, ordered, drugs_today=True)
    assert item(ordered).status.value == "blocking"
    assert SubstanceDecision.objects.get().answers == ["alcohol"]


def test_nothing_to_decide_when_every_answer_is_no(ready: Any, prescriber: Any) -> None:
    with pytest.raises(ValidationError):
        services.record_substance_decision(
            prescriber, ready, fresh(ready).version, decision="proceed", reason="x"
        )


def test_the_api_records_the_answers_and_refuses_what_the_page_refuses(
    ordered: Any, nurse: Any, prescriber: Any, login: Any
) -> None:
    as_nurse = login(Client(), nurse)
    saved = call(
        as_nurse,
        "post",
        f"/treatments/{ordered.pk}/checklist",
        {"version": fresh(ordered).version, "alcohol_today": True},
    )
    assert saved.status_code == 200, saved.content
    events = f"/treatments/{ordered.pk}/events"
    body = {"version": fresh(ordered).version, "kind": "start", "rate_ml_per_h": 52.5}
    assert call(as_nurse, "post", events, body).status_code == 422
    decide = f"/treatments/{ordered.pk}/substance-decision"
    decision = {"version": fresh(ordered).version, "decision": "proceed", "reason": "Sober."}
    assert call(as_nurse, "post", decide, decision).status_code == 403
    as_prescriber = login(Client(), prescriber)
    assert call(as_prescriber, "post", decide, {**decision, "reason": ""}).status_code == 422
    assert call(as_prescriber, "post", decide, decision).status_code == 200
    body["version"] = fresh(ordered).version
    assert call(as_nurse, "post", events, body).status_code == 200


def test_the_page_form_saves_the_answers(checked_in: Any, nurse: Any, login: Any) -> None:
    client = login(Client(), nurse)
    client.post(
        f"/treatments/{checked_in.pk}/do/checklist/",
        {
            "version": fresh(checked_in).version,
            "alcohol_today": "no",
            "drugs_today": "yes",
            "intoxication_signs": "no",
        },
    )
    answers = derive.latest_answers(fresh(checked_in))
    assert answers is not None
    assert (answers.alcohol_today, answers.drugs_today, answers.intoxication_signs) == (
        False,
        True,
        False,
    )
    page = client.get(f"/treatments/{checked_in.pk}/").content.decode()
    assert "Yes: recreational drugs today" in page

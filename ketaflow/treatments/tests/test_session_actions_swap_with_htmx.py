"""Every action on the session page is an htmx swap; the plain POST still redirects.

Issue #13 ("At the chair and at the desk"): an htmx POST of an action is answered by the page's
session region drawn again (200, with the messages out of band), not by a redirect and a page
load; a refusal by the service (a hard limit, a missing override reason, a start without a
confirmed order, an early stop without a reason, a discharge not ready) is answered by the
acted card's errors only (the form keeps what was typed), with nothing written. The same
POST without htmx is answered by a redirect, as before. The page's status poll answers 204
while nothing changed and is not a person's action for the idle sign-out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.accounts.middleware import LAST_SEEN_KEY
from ketaflow.audit.models import AccessEvent
from ketaflow.conftest import DEFAULT_NOW
from ketaflow.treatments import services
from ketaflow.treatments.models import DoseOrder
from ketaflow.treatments.tests.conftest import ago, fresh, make_discharge_ready, recovery_post
from ketaflow.treatments.views import POLL_SECONDS

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CHECKLIST = {
    "last_food_at": "",
    "last_clear_liquid_at": "",
    "escort_name": "Sam Doe",
    "escort_phone": "07700 900123",
    "medication_changes_reviewed": "on",
}


def act(session: Any, action: str) -> str:
    return reverse("treatments:act", args=[session.pk, action])


def swapped(response: Any) -> str:
    """The body of an htmx action answered by the session region (not a redirect)."""
    assert response.status_code == 200, response.status_code
    body: str = response.content.decode()
    assert '<div id="session-page"' in body
    assert '<div id="messages" hx-swap-oob="innerHTML">' in body
    return body


def refused_on(response: Any, card: str) -> str:
    """The body of an htmx action refused: the card's errors box only."""
    assert response.status_code == 200, response.status_code
    assert response["HX-Retarget"] == f"#{card}-errors"
    assert response["HX-Reswap"] == "outerHTML"
    body: str = response.content.decode()
    assert body.strip().startswith(f'<div class="action-errors" id="{card}-errors" role="alert"')
    assert '<div id="messages" hx-swap-oob="innerHTML">' in body  # the last "Saved." goes
    assert "session-page" not in body
    return body


def start(session: Any, nurse: Any) -> Any:
    services.record_administration(
        nurse, session, fresh(session).version, kind="start", rate_ml_per_h=52.5, at=ago(30)
    )
    return fresh(session)


def test_the_checklist_swaps_in_with_its_verdict_and_the_message(
    client: Any, login: Any, nurse: Any, checked_in: Any
) -> None:
    version = checked_in.version
    r = login(client, nurse).post(
        act(checked_in, "checklist"), {"version": version, **CHECKLIST}, **HTMX
    )
    body = swapped(r)
    assert "Saved." in body.split('id="messages"')[1].split("</div>")[0]
    assert 'id="checklist-verdict"' in body
    assert f'name="version" value="{fresh(checked_in).version}"' in body
    assert fresh(checked_in).version == version + 1
    assert 'data-acted="checklist"' in body


def test_the_pre_session_questionnaire_swaps_in_and_a_wrong_one_redraws_only_itself(
    client: Any, login: Any, nurse: Any, checked_in: Any
) -> None:
    c = login(client, nurse)
    url = reverse("treatments:pre_session_questionnaire", args=[checked_in.pk])
    wrong = c.post(url, {"version": checked_in.version}, **HTMX)
    assert wrong.status_code == 200
    assert wrong["HX-Retarget"] == wrong["HX-Reselect"] == "#pre-session-questionnaire"
    assert 'id="pre-session-questionnaire" open' in wrong.content.decode()
    answers = {f"pre-item_{i}": "1" for i in range(1, 9)}
    r = c.post(url, {"version": checked_in.version, **answers}, **HTMX)
    assert "GAD-7 recorded: 7" in swapped(r)


def test_a_nurse_proposes_and_a_prescriber_confirms_by_swaps(
    client: Any, login: Any, nurse: Any, prescriber: Any, ready: Any
) -> None:
    order = {"mg_per_kg": "0.5", "concentration_mg_per_ml": "1"}
    r = login(client, nurse).post(act(ready, "order"), {"version": ready.version, **order}, **HTMX)
    assert "Proposed" in swapped(r)
    assert DoseOrder.objects.get(session=ready).status == "proposed"
    r = login(client, prescriber).post(
        act(ready, "confirm"), {"version": fresh(ready).version}, **HTMX
    )
    assert "Confirmed" in swapped(r)
    assert DoseOrder.objects.get(session=ready).status == "confirmed"


def test_a_hard_limit_is_refused_in_the_order_card_whatever_the_overrides(
    client: Any, login: Any, prescriber: Any, ready: Any
) -> None:
    codes = ("dose.above_soft_max_mg_per_kg", "infusion.below_hard_min_minutes")
    r = login(client, prescriber).post(
        act(ready, "order"),
        {
            "version": ready.version,
            "mg_per_kg": "0.5",
            "minutes": "2",
            "concentration_mg_per_ml": "1",
            "confirm": "on",
            **{f"override:{code}": "I really want to." for code in codes},
        },
        **HTMX,
    )
    assert "infusion.below_hard_min_minutes" in refused_on(r, "order")
    assert not DoseOrder.objects.filter(session=ready).exists()
    assert fresh(ready).version == ready.version


def test_a_soft_limit_without_an_override_reason_is_refused_in_the_order_card(
    client: Any, login: Any, prescriber: Any, ready: Any
) -> None:
    post = {
        "version": ready.version,
        "mg_per_kg": "0.8",
        "concentration_mg_per_ml": "1",
        "confirm": "on",
    }
    r = login(client, prescriber).post(act(ready, "order"), post, **HTMX)
    assert "Override reason" in refused_on(r, "order")
    assert not DoseOrder.objects.filter(session=ready).exists()


def test_the_start_waits_for_a_confirmed_order_in_the_administration_card(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    services.enter_order(nurse, ready, ready.version, mg_per_kg=0.5, concentration_mg_per_ml=1.0)
    post = {"version": fresh(ready).version, "kind": "start", "rate_ml_per_h": "52.5"}
    r = login(client, nurse).post(act(ready, "event"), post, **HTMX)
    refused_on(r, "administration")
    assert "confirm" in r.content.decode().lower()
    assert not fresh(ready).events.exists()


def test_start_and_stop_swap_in_and_the_start_refreshes_the_vitals_and_status(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    c = login(client, nurse)
    post = {"version": ordered.version, "kind": "start", "rate_ml_per_h": "52.5"}
    body = swapped(c.post(act(ordered, "event"), post, **HTMX))
    assert "pump infusing at 52.5 mL/h" in body
    assert 'id="vitals"' in body and 'id="checklist"' not in body  # the whole region
    assert fresh(ordered).status == "in_progress"
    early = c.post(
        act(ordered, "event"), {"version": fresh(ordered).version, "kind": "stop"}, **HTMX
    )
    assert "Say why: the infusion is stopped at" in refused_on(early, "administration")
    assert not fresh(ordered).events.filter(kind="stop").exists()
    post = {"version": fresh(ordered).version, "kind": "stop", "reason": "BP 190/115"}
    body = swapped(c.post(act(ordered, "event"), post, **HTMX))
    assert "pump stopped" in body and "Observing" in body.split('class="lede"')[1]


def test_a_stale_page_is_drawn_again_with_the_refusal_on_the_card(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    post = {"version": ordered.version - 1, "kind": "start", "rate_ml_per_h": "52.5"}
    body = swapped(login(client, nurse).post(act(ordered, "event"), post, **HTMX))
    errors = body.split('id="administration-errors"')[1].split("</div></div>")[0]
    assert "Someone else" in errors
    assert f'name="version" value="{ordered.version}"' in body
    assert not fresh(ordered).events.exists()


def test_side_effects_rescue_and_notes_swap_in(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    c = login(client, nurse)
    body = swapped(
        c.post(
            act(observing, "side_effect"),
            {"version": observing.version, "kind": "nausea", "severity": "mild"},
            **HTMX,
        )
    )
    assert 'data-acted="side-effects"' in body
    body = swapped(
        c.post(
            act(observing, "note"), {"version": fresh(observing).version, "text": "Calm."}, **HTMX
        )
    )
    assert "Calm." in body
    assert fresh(observing).notes.filter(text="Calm.").exists()


def test_discharge_swaps_in_with_the_new_status_and_a_refusal_redraws_only_the_step(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    c = login(client, nurse)
    step = {
        "version": observing.version,
        "dissociation_resolved": "yes",
        "escort_present": "on",
        "told_not_to_drive": "on",
        "discharge": "on",
        **recovery_post(),
    }
    r = c.post(act(observing, "discharge"), step, **HTMX)  # no vitals nor MOAA/S after the stop
    assert r.status_code == 200 and r["HX-Retarget"] == "#discharge"
    body = r.content.decode()
    assert body.strip().startswith('<section class="card" id="discharge"')
    assert "Not discharged: not ready to leave yet." in body
    assert fresh(observing).status == "observing"
    session = make_discharge_ready(nurse, observing)
    body = swapped(c.post(act(session, "discharge"), {**step, "version": session.version}, **HTMX))
    assert "Discharged." in body.split('id="messages"')[1].split("</div>")[0]
    assert "Discharged" in body.split('class="lede"')[1].split("</p>")[0]
    assert fresh(session).status == "discharged"


def test_signing_swaps_in_signed_with_its_message(
    client: Any, login: Any, prescriber: Any, discharged: Any
) -> None:
    post = {"version": discharged.version, "attestation": "Reviewed the exceptions."}
    body = swapped(login(client, prescriber).post(act(discharged, "sign"), post, **HTMX))
    assert "Signed" in body.split('id="messages"')[1].split("</div>")[0]
    assert "Signed by" in body
    assert fresh(discharged).status == "signed"


@pytest.mark.parametrize("action", ["checklist", "event", "note"])
def test_without_htmx_an_action_still_redirects_to_the_page(
    client: Any, login: Any, nurse: Any, ordered: Any, action: str
) -> None:
    posts = {
        "checklist": CHECKLIST,
        "event": {"kind": "start", "rate_ml_per_h": "52.5"},
        "note": {"text": "Calm."},
    }
    version = ordered.version
    r = login(client, nurse).post(act(ordered, action), {"version": version, **posts[action]})
    assert r.status_code == 302
    assert r["Location"] == reverse("treatments:session", args=[ordered.pk])
    assert fresh(ordered).version == version + 1


def test_a_refusal_without_htmx_still_redirects_with_the_message(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    c = login(client, nurse)
    start(ordered, nurse)
    r = c.post(act(ordered, "event"), {"version": fresh(ordered).version, "kind": "stop"})
    assert r.status_code == 302
    page = c.get(r["Location"]).content.decode()
    assert "Say why: the infusion is stopped at" in page.split('id="messages"')[1]


def test_an_htmx_action_is_an_audited_read_like_the_page_it_replaces(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    c = login(client, nurse)
    before = AccessEvent.objects.filter(action="view", patient_id=observing.patient_id).count()
    swapped(c.post(act(observing, "note"), {"version": observing.version, "text": "x"}, **HTMX))
    after = AccessEvent.objects.filter(action="view", patient_id=observing.patient_id).count()
    assert after == before + 1


def test_the_page_polls_its_status_as_an_automatic_refresh(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any
) -> None:
    c = login(client, nurse)
    url = reverse("treatments:session", args=[ordered.pk])
    page = c.get(url).content.decode()
    poll = page.split('<form id="session-poll"')[1].split("</form>")[0]
    assert f'hx-trigger="every {POLL_SECONDS}s"' in poll
    assert "X-Ketaflow-Poll" in poll
    assert f'name="version" value="{ordered.version}"' in poll
    headers = {**HTMX, "HTTP_X_KETAFLOW_POLL": "true"}
    shown = ordered.version
    seen = c.session[LAST_SEEN_KEY]  # the nurse's last action: opening the page
    clock(DEFAULT_NOW + timedelta(minutes=5))
    unchanged = c.get(url, {"version": shown}, **headers)
    assert unchanged.status_code == 204 and unchanged.content == b""
    start(ordered, nurse)  # someone else's write moves the version on
    changed = c.get(url, {"version": shown}, **headers)
    assert changed.status_code == 200
    body = changed.content.decode()
    assert body.count('<div id="session-page"') == 1 and "pump infusing" in body
    assert c.session[LAST_SEEN_KEY] == seen  # the polls did not restart the idle clock


def test_every_action_has_the_card_its_htmx_answer_names() -> None:
    from ketaflow.treatments.views import ACTIONS, CARD_OF

    assert set(CARD_OF) == set(ACTIONS)

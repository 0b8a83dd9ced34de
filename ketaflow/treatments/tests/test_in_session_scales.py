"""Chair-side scales from structured forms built from the core, scored at once (htmx)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db

CADSS6_KEYS = ("item_1", "item_2", "item_6", "item_7", "item_15", "item_22")


def _scales(session: Any) -> Any:
    return InstrumentResponse.objects.filter(context_ref=f"session:{session.pk}")


def _post(client: Any, session: Any, code: str, answers: dict[str, Any], **kw: Any) -> Any:
    data = {"version": fresh(session).version, **{f"{code}-{k}": v for k, v in answers.items()}}
    return client.post(reverse("treatments:scale", args=[session.pk, code]), data, **kw)


def _htmx(client: Any, session: Any, code: str, answers: dict[str, Any]) -> Any:
    return _post(client, session, code, answers, HTTP_HX_REQUEST="true")


def test_the_session_page_offers_a_structured_form_per_scale(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    page = login(client, nurse).get(reverse("treatments:session", args=[ready.pk]))
    body = page.content.decode()
    for name in ("MOAA/S", "CADSS-6", "CADSS"):
        assert f"Record {name}</button>" in body
    # The recovery scores are entered in the discharge step, not here.
    assert "Record Modified Aldrete</button>" not in body and "Record PADSS</button>" not in body
    assert 'name="answers"' not in body  # the old free-text box is gone
    assert 'type="radio" name="cadss6-item_7"' in body and "1. CADSS item 1" in body
    assert "5 – responds readily to name in normal tone" in body
    assert 'name="moaas-responsiveness" value="3"' in body  # every value 0-5, not only 5 and 0


def test_an_incomplete_form_is_refused_naming_the_item_and_stores_nothing(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    answers = dict.fromkeys(CADSS6_KEYS, "1")
    del answers["item_7"]
    r = _htmx(login(client, nurse), ready, "cadss6", answers)
    body = r.content.decode()
    assert r.status_code == 200 and 'id="scales"' in body
    assert "CADSS-6 item 4 (CADSS item 7) is unanswered" in body
    assert "never scored as 0" in body and "has-error" in body
    assert "checked" in body  # the answers given are kept
    assert not _scales(ready).exists()


def test_the_core_scores_the_full_cadss_with_its_subscale_and_flag_at_once(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    answers = {f"item_{n}": "1" for n in range(1, 24)}
    r = _htmx(login(client, nurse), ready, "cadss", answers)
    body = r.content.decode()
    assert r.status_code == 200 and 'id="scale-result"' in body
    assert "CADSS 23" in body and "CADSS6 6" in body
    assert "above 4, the research convention" in body
    (saved,) = _scales(ready)
    assert saved.total == 23 and saved.subscales == {"cadss6": 6}
    assert saved.context == "in_session" and saved.context_ref == f"session:{ready.pk}"
    assert saved.rater == "clinician" and saved.recorded_by == nurse


def test_moaas_zero_shows_the_safety_flag_at_once(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    r = _htmx(login(client, nurse), ready, "moaas", {"responsiveness": "0"})
    body = r.content.decode()
    assert "alert-red" in body and "loss of consciousness" in body


def test_a_fall_in_moaas_from_before_the_dose_is_flagged_as_sedation(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    services.record_scale(
        nurse, ordered, ordered.version, instrument="moaas", answers=[5], administered_at=ago(40)
    )
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(30)
    )
    r = _htmx(login(client, nurse), ordered, "moaas", {"responsiveness": "3"})
    assert "MOAA/S fell from 5 before the dose to 3: sedation." in r.content.decode()


def test_the_recovery_scores_are_not_a_chair_side_scale_of_their_own(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    c = login(client, nurse)
    keys = ("activity", "respiration", "circulation", "consciousness", "spo2")
    assert _htmx(c, ready, "aldrete", dict.fromkeys(keys, "2")).status_code == 404
    assert not _scales(ready).exists()


def test_recorded_scales_are_listed_on_the_session_page(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    c = login(client, nurse)
    r = _post(c, ready, "cadss6", dict.fromkeys(CADSS6_KEYS, "2"))
    assert r.status_code == 302
    page = c.get(r["Location"]).content.decode()
    assert "CADSS-6 recorded: 12." in page
    assert "<td>CADSS-6</td>" in page and "<strong>12</strong>" in page


def test_without_htmx_an_error_renders_the_page_with_the_item_in_error(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    r = _post(login(client, nurse), ready, "moaas", {})
    assert r.status_code == 422
    assert "MOAA/S item 1 (responsiveness) is unanswered" in r.content.decode()


def test_the_page_follows_the_version_only_when_our_write_was_the_only_change(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    c = login(client, nurse)
    seen = ready.version
    ok = _htmx(c, ready, "moaas", {"responsiveness": "5"}).content.decode()
    assert f'value="{seen + 1}" hx-swap-oob=' in ok
    stale = c.post(
        reverse("treatments:scale", args=[ready.pk, "moaas"]),
        {"version": seen, "moaas-responsiveness": "5"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Someone else" in stale and "hx-swap-oob" not in stale


@pytest.mark.parametrize(
    "who", ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
)
def test_only_charting_staff_of_the_clinic_record_scales(
    client: Any, login: Any, personas: dict[str, Any], who: str, ready: Any
) -> None:
    r = _htmx(login(client, personas[who]), ready, "moaas", {"responsiveness": "5"})
    expected = {"nurse": 200, "prescriber": 200, "outsider": 404}.get(who, 403)
    assert r.status_code == expected
    assert _scales(ready).count() == (1 if expected == 200 else 0)


def test_an_unknown_scale_is_not_found(client: Any, login: Any, nurse: Any, ready: Any) -> None:
    assert _htmx(login(client, nurse), ready, "gad7", {}).status_code == 404


def test_the_api_takes_answers_by_item_key_and_names_a_missing_item(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    c = login(client, nurse)
    url = f"/api/v1/treatments/{ready.pk}/scales"
    answers = dict.fromkeys(CADSS6_KEYS, 1)
    del answers["item_15"]
    bad = c.post(
        url,
        {"version": ready.version, "instrument": "cadss6", "answers": answers},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "item_15"]
    ok = c.post(
        url,
        {"version": ready.version, "instrument": "cadss6", "answers": {**answers, "item_15": 3}},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    (scale,) = ok.json()["scales"]
    assert scale["instrument"] == "cadss6" and scale["total"] == 8 and scale["flags"] == []

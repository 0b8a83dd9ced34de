"""Protocol versions per clinic: adopted once, revised into new rows, restored exactly."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.clinical.protocols import builtin_protocols, protocol_to_dict
from ketaflow.courses.models import ProtocolVersion
from ketaflow.courses.selectors import list_protocols, protocol_settings
from ketaflow.courses.services import adopt_builtin_protocols, load_protocol, revise_protocol

pytestmark = pytest.mark.django_db


def test_adopting_the_built_in_protocols_is_idempotent(prescriber, protocols):
    assert set(protocols) == {
        "iv-racemic",
        "sc-racemic-anxiety",
        "esketamine-label",
        "oral-racemic-titration",
        "sublingual-racemic-low-dose",
    }
    assert adopt_builtin_protocols(prescriber) == []
    assert ProtocolVersion.objects.count() == 5


def test_a_stored_version_round_trips_to_the_same_core_protocol(protocols):
    for code, stored in protocols.items():
        stored.refresh_from_db()  # through the database's JSON column
        assert load_protocol(stored) == builtin_protocols()[code]
        assert protocol_to_dict(load_protocol(stored)) == stored.data


def test_a_revision_is_a_new_row_and_the_old_version_is_kept(prescriber, protocols):
    v1 = protocols["iv-racemic"]
    v2 = revise_protocol(
        prescriber, v1, {"observation_minutes": "90", "induction.doses.1": 0.75}, "Local audit"
    )
    assert (v1.version, v2.version) == (1, 2)
    v1.refresh_from_db()
    assert load_protocol(v1).observation_minutes.value == 60
    revised = load_protocol(v2)
    assert revised.observation_minutes.value == 90
    assert revised.setting("induction.doses.1").value == 0.75
    assert revised.setting("observation_minutes").default.value == 60  # default kept
    assert v2.change_reason == "Local audit"
    assert "observation_minutes" not in revised.needs_signoff()


def test_a_revision_can_reset_a_setting_to_its_default(prescriber, protocols):
    v2 = revise_protocol(prescriber, protocols["iv-racemic"], {"observation_minutes": 90}, "a")
    v3 = revise_protocol(prescriber, v2, {"observation_minutes": "default"}, "b")
    assert not load_protocol(v3).setting("observation_minutes").is_local


def test_bad_values_come_back_as_field_errors(prescriber, protocols):
    with pytest.raises(ValidationError) as caught:
        revise_protocol(
            prescriber,
            protocols["esketamine-label"],
            {"induction.doses.1": 30, "observation_minutes": "abc", "nonsense": 1},
            "try",
        )
    errors = caught.value.message_dict
    assert "multiple of 28" in errors["induction.doses.1"][0]
    assert "number" in errors["observation_minutes"][0]
    assert "nonsense" in errors


def test_the_label_floor_of_two_hours_cannot_be_lowered(prescriber, protocols):
    with pytest.raises(ValidationError, match="at least 120"):
        revise_protocol(prescriber, protocols["esketamine-label"], {"observation_minutes": 60}, "x")


def test_a_revision_needs_a_reason_and_the_current_version(prescriber, protocols):
    v1 = protocols["iv-racemic"]
    with pytest.raises(ValidationError):
        revise_protocol(prescriber, v1, {"observation_minutes": 90}, "")
    revise_protocol(prescriber, v1, {"observation_minutes": 90}, "ok")
    with pytest.raises(ValidationError, match="Version 2 is current"):
        revise_protocol(prescriber, v1, {"observation_minutes": 80}, "again")


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "clinic_admin", "researcher"])
def test_only_prescribers_adopt_and_revise(personas, persona, protocols):
    with pytest.raises(PermissionDenied):
        adopt_builtin_protocols(personas[persona])
    with pytest.raises(PermissionDenied):
        revise_protocol(personas[persona], protocols["iv-racemic"], {"observation_minutes": 9}, "x")


def test_the_listing_shows_what_needs_local_sign_off(nurse, protocols):
    families = {f.current.code: f for f in list_protocols(nurse)}
    assert "observation_minutes" in families["iv-racemic"].needs_signoff
    rows = {r.key: r for r in protocol_settings(load_protocol(protocols["iv-racemic"]))}
    row = rows["observation_minutes"]
    assert (row.default, row.local, row.needs_signoff) == (60, None, True)
    assert "S24" in row.sources


def test_a_longer_observation_makes_the_chair_time_longer(
    prescriber, front_desk, patient, protocols, chairs, monday, at
):
    from ketaflow.courses.services import book_appointment, start_course

    v2 = revise_protocol(prescriber, protocols["iv-racemic"], {"observation_minutes": 120}, "x")
    course = start_course(prescriber, patient, v2, started_on=monday)
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    assert (appt.ends_at - appt.starts_at).total_seconds() == (30 + 40 + 120) * 60


def test_experimental_protocols_are_marked_where_they_are_listed(prescriber, protocols):
    flagged = {f.current.code for f in list_protocols(prescriber) if f.experimental}
    assert flagged == {"oral-racemic-titration", "sublingual-racemic-low-dose"}


def test_the_protocol_pages_and_api_show_the_experimental_flag(
    client, login, prescriber, protocols
):
    from django.urls import reverse

    c = login(client, prescriber)
    listing = c.get(reverse("courses:protocols")).content.decode()
    assert listing.count('class="tag tag-amber">experimental</span>') == 2
    oral = protocols["oral-racemic-titration"]
    detail = c.get(reverse("courses:protocol", args=[oral.pk])).content.decode()
    assert 'id="experimental"' in detail and "Ceiling per rolling 7 days" in detail
    iv = c.get(reverse("courses:protocol", args=[protocols["iv-racemic"].pk])).content.decode()
    assert 'id="experimental"' not in iv
    api = c.get("/api/v1/courses/protocols").json()
    assert {p["code"]: p["experimental"] for p in api}["oral-racemic-titration"] is True


def test_adopting_says_which_protocols_are_experimental(client, login, prescriber):
    from django.urls import reverse

    page = login(client, prescriber).post(reverse("courses:protocols_adopt"), follow=True)
    text = page.content.decode()
    assert "Experimental, for your clinic&#x27;s sign-off before use" in text
    assert "Oral ketamine: supervised titration" in text

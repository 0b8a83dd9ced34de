"""Navigation: every item points at a real page, and each role sees only where it may go."""

import pytest
from django.urls import reverse

from ketaflow.web.context_processors import NAV


def test_every_navigation_item_resolves_to_a_page():
    for _group, _label, name, _who, _count in NAV:
        assert reverse(name)


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        (
            "front_desk",
            {"Patients", "Schedule"},
            {"Chair board", "REMS forms due", "Protocols", "Audit log", "Users", "Clinic set-up"}
            | {"Outcomes", "Questionnaires", "Risk alerts", "Monitor messages", "Clinic export"}
            | {"Safety checks", "Controlled stock"},
        ),
        (
            "nurse",
            {"Patients", "Chair board", "REMS forms due", "Schedule", "Consent forms"}
            | {"Outcomes", "Questionnaires", "Risk alerts", "Monitor messages", "Safety checks"}
            | {"Controlled stock"},
            {"Audit log", "Users", "Bedside monitors", "Clinic export"},
        ),
        (
            "prescriber",
            {"Patients", "Chair board", "REMS forms due", "Protocols"},
            {"Audit log", "Users"},
        ),
        (
            "clinic_admin",
            {
                "Audit log",
                "Users",
                "Clinic set-up",
                "Bedside monitors",
                "Clinic export",
                "Outcomes",
            },
            {"Chair board", "REMS forms due", "Protocols", "Risk alerts", "Monitor messages"}
            | {"Controlled stock"},
        ),
        (
            "researcher",
            {"Home", "PK explorer", "Outcomes"},
            {
                "Patients",
                "Chair board",
                "REMS forms due",
                "Audit log",
                "Risk alerts",
                "Clinic export",
            },
        ),
    ],
)
def test_each_role_sees_only_its_places(client, login, personas, persona, shown, hidden):
    login(client, personas[persona])
    labels = {item["label"] for item in client.get(reverse("web:home")).context["nav_items"]}
    assert shown <= labels
    assert not (hidden & labels)


def test_the_rems_forms_due_item_opens_for_the_roles_that_see_it(client, login, personas):
    """Shown exactly to the roles the page lets in (the nav only draws; the page enforces)."""
    for persona in ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher"):
        login(client, personas[persona])
        labels = {i["label"] for i in client.get(reverse("web:home")).context["nav_items"]}
        status = client.get(reverse("treatments:rems_due")).status_code
        assert ("REMS forms due" in labels) == (status == 200), persona
        assert status in (200, 403), persona

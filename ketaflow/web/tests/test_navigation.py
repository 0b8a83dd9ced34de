"""Navigation: every item points at a real page, and each role sees only where it may go."""

import pytest
from django.urls import reverse

from ketaflow.web.context_processors import NAV


def test_every_navigation_item_resolves_to_a_page():
    for _label, name, _caps in NAV:
        assert reverse(name)


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        (
            "front_desk",
            {"Patients", "Schedule"},
            {"Chair board", "Protocols", "Audit log", "Users", "Clinic set-up"},
        ),
        ("nurse", {"Patients", "Chair board", "Schedule", "Consent forms"}, {"Audit log", "Users"}),
        ("prescriber", {"Patients", "Chair board", "Protocols"}, {"Audit log", "Users"}),
        ("clinic_admin", {"Audit log", "Users", "Clinic set-up"}, {"Chair board", "Protocols"}),
        ("researcher", {"Home", "PK explorer"}, {"Patients", "Chair board", "Audit log"}),
    ],
)
def test_each_role_sees_only_its_places(client, login, personas, persona, shown, hidden):
    login(client, personas[persona])
    labels = {item["label"] for item in client.get(reverse("web:home")).context["nav_items"]}
    assert shown <= labels
    assert not (hidden & labels)

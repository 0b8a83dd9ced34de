"""The patient header links to outcomes and long-term safety for roles that read the chart."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "shown"), [("nurse", True), ("prescriber", True), ("front_desk", False)]
)
def test_outcomes_tab_only_for_clinical_roles(client, login, personas, patient, persona, shown):
    login(client, personas[persona])
    html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert (reverse("outcomes:patient", args=[patient.pk]) in html) is shown
    assert (reverse("safety:patient", args=[patient.pk]) in html) is shown

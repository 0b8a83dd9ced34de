""" "Start a course" pre-selects the protocol of the patient's latest signed eligibility review
(the same protocol if the clinic has it, else one of the same route), not the first listed."""

from __future__ import annotations

import pytest

from ketaflow.screening.services import open_review, sign_review
from ketaflow.screening.tests.conftest import eligible_patient  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _selected(client, patient) -> str:
    """The option a browser shows selected: the initial one, else the first listed."""
    form = client.get(f"/courses/patient/{patient.pk}/start/").context["form"]
    version = form["protocol_version"].value()
    field = form.fields["protocol_version"]
    chosen = field.queryset.get(pk=version) if version else field.queryset.first()
    return chosen.code


@pytest.mark.parametrize("code", ["iv-racemic", "sc-racemic-anxiety", "esketamine-label"])
def test_the_signed_review_s_protocol_is_pre_selected(
    client,
    login,
    nurse,
    prescriber,
    protocols,
    eligible_patient,  # noqa: F811
    code,
):
    review = open_review(nurse, eligible_patient, protocol=code)
    sign_review(prescriber, review, decision="eligible", reason="Reviewed")
    login(client, prescriber)
    assert _selected(client, eligible_patient) == code
    html = client.get(f"/courses/patient/{eligible_patient.pk}/start/").content.decode()
    version = protocols[code]
    assert f'<option value="{version.pk}" selected>' in html


def test_an_iv_review_no_longer_leaves_esketamine_selected(
    client,
    login,
    nurse,
    prescriber,
    protocols,
    eligible_patient,  # noqa: F811
):
    login(client, prescriber)
    assert _selected(client, eligible_patient) == "esketamine-label"  # the list's first
    review = open_review(nurse, eligible_patient)  # the IV protocol
    assert _selected(client, eligible_patient) == "esketamine-label"  # not signed: no change
    sign_review(prescriber, review, decision="eligible", reason="Reviewed")
    assert _selected(client, eligible_patient) == "iv-racemic"


def test_a_same_route_protocol_is_chosen_when_the_reviewed_one_is_not_adopted(
    prescriber, patient, protocols, monkeypatch
):
    from ketaflow.courses import gates
    from ketaflow.courses.views import _reviewed_version

    iv = protocols["iv-racemic"]
    local_iv = type(iv)(pk=999, code="iv-local", route=iv.route)
    others = [v for v in protocols.values() if v.code != "iv-racemic"]
    monkeypatch.setattr(gates, "reviewed", lambda p, at: gates.Reviewed("iv-racemic", iv.route))
    assert _reviewed_version(patient, [*others, local_iv]) is local_iv
    assert _reviewed_version(patient, others) is None  # no IV protocol: the list's first

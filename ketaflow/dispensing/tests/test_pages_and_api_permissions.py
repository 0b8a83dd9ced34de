"""Every take-home page and API operation: who may, who may not, and other clinics' 404s.

One world per persona; the rows run in order (reads first, then writes ordered so each one's
success leaves the next one possible), so each persona's whole matrix costs one world.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaflow.conftest import DEFAULT_NOW
from ketaflow.dispensing.tests.conftest import AUTH, dispense, make_supervised
from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request

CLINICAL = expect(403, 200, 200, 403, 403, 404)
DISPENSER = expect(403, 200, 200, 403, 403, 404)
PRESCRIBER = expect(403, 403, 200, 403, 403, 404)
STOCK = expect(403, 200, 200, 403, 403, 200)  # the outsider sees their own clinic's (empty)

PAGE_ROWS = [
    Row("GET", "/dispensing/courses/{c1}/", CLINICAL),
    Row("GET", "/dispensing/courses/{c3}/authorise", PRESCRIBER),
    Row("GET", "/dispensing/courses/{c1}/pdmp/new", DISPENSER),
    Row("GET", "/dispensing/authorisations/{a1}/dispense", DISPENSER),
    Row("GET", "/dispensing/authorisations/{a1}/refill", DISPENSER),
    Row("GET", "/dispensing/authorisations/{a1}/end", PRESCRIBER),
    Row("GET", "/dispensing/refills/{r2}/decide", PRESCRIBER),
    Row("GET", "/dispensing/supplies/{s1}/error", PRESCRIBER),
    Row("GET", "/dispensing/stock/", STOCK),
    Row("GET", "/dispensing/stock/receive", STOCK),
    Row("GET", "/dispensing/stock/count", STOCK),
    Row("GET", "/dispensing/stock/lines/{l1}/explain", DISPENSER),
]

API = "/api/v1/dispensing"
API_ROWS = [
    Row("GET", API + "/courses/{c1}", CLINICAL),
    Row("GET", API + "/authorisations", STOCK),
    Row("GET", API + "/supplies", STOCK),
    Row("GET", API + "/supplies/{s1}", CLINICAL),
    Row("GET", API + "/refill-requests", STOCK),
    Row("GET", API + "/stock", STOCK),
    Row(
        "POST",
        API + "/patients/{p1}/pdmp-checks",
        expect(403, 201, 201, 403, 403, 404),
        lambda ids: {"checked_on": ids["today"], "outcome": "no_concern"},
    ),
    Row(
        "POST",
        API + "/stock/reconciliations",
        expect(403, 201, 201, 403, 403, 422),  # the outsider's clinic has no such lot
        lambda ids: {
            "counts": [{"lot": "LOT-A1", "counted": 79}, {"lot": "LOT-C3", "counted": 5}],
            "witness_id": ids["w"],
        },
    ),
    Row(
        "POST",
        API + "/stock/receipts",
        expect(403, 201, 201, 403, 403, 422),  # the witness is not of the outsider's clinic
        lambda ids: {
            "product": "Ketamine HCl 50 mg troche",
            "dosage_form": "troche",
            "strength_mg": 50,
            "lot": "LOT-B2",
            "expires_on": ids["next_year"],
            "quantity": 50,
            "witness_id": ids["w"],
        },
    ),
    Row(
        "POST",
        API + "/stock/lines/{l1}/explanation",
        DISPENSER,
        lambda ids: {"explanation": "One troche dropped and wasted", "witness_id": ids["w"]},
    ),
    Row(
        "POST",
        API + "/authorisations/{a1}/refill-requests",
        expect(403, 201, 201, 403, 403, 404),
        {"note": "Running low"},
    ),
    Row(
        "POST",
        API + "/authorisations/{a1}/supplies",
        expect(403, 201, 201, 403, 403, 404),
        lambda ids: {
            "quantity": 10,
            "lot": "LOT-A1",
            "witness_id": ids["w"],
            "storage_acknowledged": True,
            "no_driving_acknowledged": True,
        },
    ),
    Row(
        "POST",
        API + "/refill-requests/{r2}/decision",
        PRESCRIBER,
        {"approve": False, "reason": "Too early; review at next visit"},
    ),
    Row(
        "POST",
        API + "/courses/{c3}/authorisations",
        expect(403, 403, 201, 403, 403, 404),
        dict(AUTH),
    ),
    Row("POST", API + "/supplies/{s1}/entered-in-error", PRESCRIBER, {"reason": "Duplicate"}),
    Row("POST", API + "/authorisations/{a1}/end", PRESCRIBER, {"reason": "Course ended"}),
    Row("POST", API + "/stock/receipts/{rc3}/entered-in-error", PRESCRIBER, {"reason": "Typo"}),
    Row("POST", API + "/pdmp-checks/{k1}/entered-in-error", DISPENSER, {"reason": "Wrong patient"}),
]
PERSONA_ROWS = PAGE_ROWS + API_ROWS


def _patient(clinic: Any, front_desk: Any, mrn: str) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.create(
        clinic=clinic,
        mrn=mrn,
        given_name="Pat",
        family_name=mrn,
        date_of_birth=date(1980, 1, 1),
        sex_at_birth="male",
        created_by=front_desk,
    )


@pytest.fixture
def world(
    clock: Any,
    clinic: Any,
    front_desk: Any,
    nurse: Any,
    second_nurse: Any,
    prescriber: Any,
    patient: Any,
    protocols: dict[str, Any],
    chair: Any,
) -> dict[str, Any]:
    """c1: a supply 40 days ago (a refill is on time); c2: a supply today and an early request
    waiting; c3: supervised doses done, nothing authorised; a count one troche short."""
    from ketaflow.courses.services import start_course
    from ketaflow.dispensing import services
    from ketaflow.dispensing.models import PdmpCheck

    clock(DEFAULT_NOW - timedelta(days=40))
    courses, auths = [], []
    for i, p in enumerate([patient, _patient(clinic, front_desk, "KF-2"), None]):
        p = p or _patient(clinic, front_desk, "KF-3")
        c = start_course(prescriber, p, protocols["iv-racemic"], started_on=timezone.localdate())
        make_supervised(c, chair, prescriber, nurse, 3)
        courses.append(c)
        if i < 2:
            auths.append(services.authorise(prescriber, c, **AUTH))
            services.record_pdmp_check(
                nurse, p, checked_on=timezone.localdate(), outcome="no_concern"
            )
    services.receive_stock(
        nurse,
        product="Ketamine HCl 50 mg troche",
        dosage_form="troche",
        strength_mg=50.0,
        lot="LOT-A1",
        expires_on=timezone.localdate() + timedelta(days=365),
        quantity=100,
        witness=second_nurse,
    )
    checks = list(PdmpCheck.objects.order_by("pk"))
    spare = services.receive_stock(
        nurse,
        product="Ketamine HCl 25 mg tablet",
        dosage_form="tablet",
        strength_mg=25.0,
        lot="LOT-C3",
        expires_on=timezone.localdate() + timedelta(days=365),
        quantity=5,
        witness=second_nurse,
    )
    s1 = dispense(nurse, auths[0], second_nurse)
    clock(DEFAULT_NOW)
    dispense(nurse, auths[1], second_nurse)
    r2 = services.request_refill(nurse, auths[1], note="Lost some")
    rec = services.reconcile(nurse, counts={"LOT-A1": 79, "LOT-C3": 5}, witness=second_nurse)
    return {
        "c1": courses[0].pk,
        "c3": courses[2].pk,
        "p1": patient.pk,
        "a1": auths[0].pk,
        "s1": s1.pk,
        "r2": r2.pk,
        "l1": rec.lines.get(lot="LOT-A1").pk,
        "w": second_nurse.pk,
        "rc3": spare.pk,
        "k1": checks[0].pk,
        "today": timezone.localdate().isoformat(),
        "next_year": (timezone.localdate() + timedelta(days=365)).isoformat(),
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_on_every_page_and_api_row(
    login: Any, personas: dict[str, Any], world: dict[str, Any], persona: str
) -> None:
    client = login(Client(), personas[persona])
    wrong = []
    for row in PERSONA_ROWS:
        response = request(client, row, world)
        if response.status_code != row.expect[persona]:
            wrong.append(f"{row}: {response.status_code} {response.content[:300]!r}")
    assert not wrong, "\n".join(wrong)


def test_signed_out_visitors_are_sent_to_sign_in(world: dict[str, Any]) -> None:
    for row in PAGE_ROWS:
        assert Client().get(row.path.format(**world)).status_code == 302, row

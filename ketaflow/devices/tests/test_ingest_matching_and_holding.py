"""What the listener stores: matched readings with alerts, held messages, duplicates once."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.devices.models import DeviceReading, InboundMessage, MessageStatus
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.conftest import ack_fields, ingest
from ketaflow.ops import freshness

pytestmark = pytest.mark.django_db


def test_a_ge_message_for_the_patient_at_the_bound_chair_lands_as_a_pending_reading(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    [out] = ingest(clinic, M.ge_b40("GE-1"))
    assert ack_fields(out.ack) == {
        "code": "AA",
        "control_id": "GE-1",
        "text": "Stored: 1 reading(s) for a nurse to confirm.",
    }
    reading = DeviceReading.objects.get()
    assert reading.session == checked_in and reading.status == "pending"
    assert (reading.sbp, reading.dbp, reading.hr, reading.spo2, reading.rr) == (128, 82, 72, 97, 16)
    assert reading.temp_c == 36.8
    msg = reading.message
    assert msg.status == MessageStatus.STORED and "OBX|3|NM|147842" in msg.raw
    event = AccessEvent.objects.filter(object_type="devices.InboundMessage").get()
    assert event.channel == "hl7" and event.patient_id == checked_in.patient_id
    assert event.ip_address == "10.0.0.7"


def test_alerts_are_computed_on_arrival_with_the_core(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    ingest(clinic, M.ge_b40("GE-2", sbp=190, dbp=104, spo2=88))
    codes = [a["code"] for a in DeviceReading.objects.get().alerts]
    assert "predose.sbp.do_not_start" in codes and "spo2.critical" in codes
    assert DeviceReading.objects.get().alerts[0]["level"] == "critical"


def test_the_same_control_id_is_acknowledged_again_but_stored_once(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    first = ingest(clinic, M.ge_b40("GE-3"))
    again = ingest(clinic, M.ge_b40("GE-3"), M.ge_b40("GE-3"))
    assert [ack_fields(o.ack)["code"] for o in first + again] == ["AA", "AA", "AA"]
    assert again[0].duplicate and again[1].duplicate
    assert InboundMessage.objects.count() == 1 and DeviceReading.objects.count() == 1


def test_duplicates_within_one_batch_are_stored_once(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    outs = ingest(clinic, M.ge_b40("GE-4"), M.ge_b40("GE-4"))
    assert [o.code for o in outs] == ["AA", "AA"] and outs[1].duplicate
    assert InboundMessage.objects.count() == 1


def test_the_same_control_id_from_another_sender_is_another_message(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    ingest(clinic, M.loinc_generic("1", sending="GW-A"), M.loinc_generic("1", sending="GW-B"))
    assert InboundMessage.objects.count() == 2


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: M.ge_b40("H1", mrn="KF-999999"), "No patient with MRN KF-999999"),
        (lambda: M.ge_b40("H2", bed="SURGERY^^V9"), "is not bound to a chair"),
        (lambda: M.philips_piic("H3", mrn='""', bed="^^V2"), "unassigned bed"),
    ],
)
def test_unknown_patient_or_chair_is_held_with_the_raw_text(
    clinic: Any, checked_in: Any, binding: Any, build: Any, reason: str
) -> None:
    [out] = ingest(clinic, build())
    assert out.code == "AA" and "Held for staff" in out.text
    msg = InboundMessage.objects.get()
    assert msg.status == MessageStatus.HELD and reason in msg.reason and msg.raw.startswith("MSH")
    assert not DeviceReading.objects.exists()


def test_a_monitor_at_another_chair_is_held(
    clinic: Any, clinic_admin: Any, checked_in: Any, binding: Any
) -> None:
    from ketaflow.courses.services import add_chair
    from ketaflow.devices.configuration import bind_chair

    other = add_chair(clinic_admin, name="Chair 2")
    bind_chair(clinic_admin, other.pk, "V3")
    ingest(clinic, M.ge_b40("H4", bed="SURGERY^^V3"))
    assert "at another chair" in InboundMessage.objects.get().reason


def test_a_patient_without_an_active_session_is_held(clinic: Any, patient: Any) -> None:
    ingest(clinic, M.loinc_generic("H5"))
    assert InboundMessage.objects.get().reason == "The patient has no active treatment session."


def test_a_monitor_that_sends_no_location_matches_by_patient_alone(
    clinic: Any, checked_in: Any
) -> None:
    ingest(clinic, M.welch_allyn("WA-1"))
    reading = DeviceReading.objects.get()
    assert reading.session == checked_in and reading.sbp == 142 and reading.temp_c == 36.89


def test_another_clinics_patient_with_the_same_mrn_is_never_matched(
    clinic: Any, other_clinic: Any, outsider_patient: Any, checked_in: Any, binding: Any
) -> None:
    ingest(other_clinic, M.ge_b40("X1"))
    msg = InboundMessage.objects.get()
    assert msg.clinic == other_clinic and msg.status == MessageStatus.HELD


def test_demo_mode_is_stored_for_the_record_but_not_charted(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    [out] = ingest(clinic, M.mindray_egateway("D1", demo=True))
    assert out.code == "AA"
    assert InboundMessage.objects.get().status == MessageStatus.IGNORED
    assert not DeviceReading.objects.exists()


def test_malformed_messages_get_ar_with_the_reason_and_an_err_segment(clinic: Any) -> None:
    no_id = "MSH|^~\\&|A|B|||20260101||ORU^R01||P|2.5\rOBX|1|NM|8867-4^HR^LN||60|/min"
    outs = ingest(clinic, no_id, b"\x00\xffnot hl7 at all")
    assert [ack_fields(o.ack)["code"] for o in outs] == ["AR", "AR"]
    assert "MSH-10" in ack_fields(outs[0].ack)["text"]
    assert ack_fields(outs[0].ack)["err"].startswith("101^")
    assert not InboundMessage.objects.exists()


def test_one_failing_message_does_not_lose_the_others_in_its_batch(
    clinic: Any, checked_in: Any, binding: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ketaflow.devices import readings

    real = readings.reading_rows

    def flaky(batch: Any, session: Any, row: Any, message: Any) -> Any:
        if row.control_id == "BAD":
            raise RuntimeError("disk on fire")
        return real(batch, session, row, message)

    # The batch fails as a whole, then each message is stored alone in its own savepoint.
    monkeypatch.setattr(readings, "reading_rows", flaky)
    outs = ingest(clinic, M.ge_b40("OK-1"), M.ge_b40("BAD"), M.ge_b40("OK-2"))
    assert [o.code for o in outs] == ["AA", "AE", "AA"]
    assert ack_fields(outs[1].ack)["err"].startswith("207^")
    assert set(InboundMessage.objects.values_list("control_id", flat=True)) == {"OK-1", "OK-2"}


def test_keep_alives_are_acknowledged_and_not_stored(clinic: Any) -> None:
    [out] = ingest(clinic, "MSH|^~\\&|||||||ORU^R01|106|P|2.3.1|")
    assert out.code == "AA" and "nothing to chart" in out.text
    assert not InboundMessage.objects.exists()


def test_a_batch_stores_exactly_what_its_messages_stored_alone_store(
    clinic: Any,
    checked_in: Any,
    binding: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    clock: Any,
) -> None:
    """There is one store path (`ingest.store_messages`); what may differ is how many messages
    it gets and how it inserts them. A whole batch, the same batch with the ORM's bulk inserts
    (`insert_orm`; on PostgreSQL the batch is otherwise one hand-written statement,
    `insert_pg`) and each message stored alone (the fall-back after a failed batch) must write
    the same rows, audit events included, and give the same answers (a renamed or added column
    would otherwise only show as a silent fall-back to storing one by one). On PostgreSQL the
    audit events ride in that statement (`audit.services.pg_insert`), elsewhere they are
    written by `record_events`: the rows must be the same."""
    import itertools

    from django.db import transaction

    from ketaflow.audit import context as audit_context
    from ketaflow.conftest import DEFAULT_NOW
    from ketaflow.devices import ingest as ingest_module

    batch = [
        M.ge_b40("B-1", sbp=190, dbp=104, spo2=88),  # stored, with alerts
        M.ge_b40("B-2", mrn="NOBODY"),  # held
        M.mindray_egateway("B-3", demo=True),  # stored, ignored
        M.welch_allyn("B-4"),  # stored, matched by patient alone
        M.ge_b40("B-1"),  # duplicate within the batch
        "MSH|^~\\&|||||||ORU^R01|B-5|P|2.3.1|",  # nothing to chart
    ]

    def snapshot() -> tuple[list[Any], list[Any], list[Any]]:
        messages = list(
            InboundMessage.objects.order_by("pk").values(
                "clinic", "sending_app", "sending_facility", "control_id", "message_type",
                "peer", "encoding", "raw", "status", "patient_ref", "location", "device",
                "session", "reason", "skipped", "resolved_by", "resolved_at",
                "resolution_reason",
            )
        )  # fmt: skip
        ids = {
            pk: n
            for n, pk in enumerate(
                InboundMessage.objects.order_by("pk").values_list("pk", flat=True)
            )
        }
        reading_ids = {
            pk: n
            for n, pk in enumerate(
                DeviceReading.objects.order_by("pk").values_list("pk", flat=True)
            )
        }
        readings = [
            {**r, "message": ids[r["message"]]}
            for r in DeviceReading.objects.order_by("pk").values(
                "clinic", "session", "message", "observed_at", "sbp", "dbp", "map", "hr",
                "spo2", "rr", "temp_c", "sources", "notes", "alerts", "status", "decided_by",
                "decided_at", "reject_reason", "vitals_reading",
            )
        ]  # fmt: skip
        events = [
            {
                **e,
                "object_id": ids[int(e["object_id"])],
                "detail": {**e["detail"], "readings": [reading_ids[r] for r in e["detail"]["readings"]]},  # noqa: E501
            }
            for e in AccessEvent.objects.filter(object_type="devices.InboundMessage")
            .order_by("pk")
            .values(
                "at", "actor", "actor_label", "clinic", "patient", "action", "object_type",
                "object_id", "detail", "ip_address", "user_agent", "request_id", "path",
                "channel",
            )
        ]  # fmt: skip
        return messages, readings, events

    class Rollback(Exception):
        pass

    def stored(**patches: Any) -> tuple[list[Any], tuple[list[Any], list[Any], list[Any]]]:
        request_ids = (f"{n:032x}" for n in itertools.count(1))
        with pytest.MonkeyPatch.context() as mp:
            for name, value in patches.items():
                mp.setattr(ingest_module, name, value)
            # The same clock and request ids for each way, so the audit rows compare whole.
            clock(DEFAULT_NOW, still=True)
            mp.setattr(audit_context, "new_request_id", lambda: next(request_ids))
            with pytest.raises(Rollback), transaction.atomic():
                outs = ingest(clinic, *batch)
                rows = snapshot()
                raise Rollback
        return [(o.code, o.text, o.stored, o.duplicate) for o in outs], rows

    real = ingest_module.store_messages

    def alone_only(batch_: Any, items: list[Any]) -> Any:
        if len(items) > 1:
            raise RuntimeError("force storing each message alone")
        return real(batch_, items)

    whole_outs, whole = stored()
    assert "one by one" not in caplog.text
    for patches in ({"insert_pg": ingest_module.insert_orm}, {"store_messages": alone_only}):
        outs, rows = stored(**patches)
        assert outs == whole_outs, patches
        for table, got, want in zip(("messages", "readings", "events"), rows, whole, strict=True):
            for n, (got_row, want_row) in enumerate(zip(got, want, strict=True)):
                assert got_row == want_row, (patches, table, n)
    assert "one by one" in caplog.text
    assert [o[0] for o in whole_outs] == ["AA"] * 6 and whole_outs[4][3]
    assert len(whole[0]) == 4 and len(whole[1]) == 2 and len(whole[2]) == 4


def test_a_long_running_listener_sees_session_changes_at_once(
    clinic: Any, checked_in: Any, binding: Any, clinic_admin: Any
) -> None:
    """The listener reuses a session row while its version is unchanged (`ListenerCache`), but
    which sessions are active, and any write (which bumps the version), count from the next
    batch on."""
    from django.db.models import F
    from django.utils import timezone

    from ketaflow.courses.services import add_chair
    from ketaflow.devices.ingest import Frame, ingest_batch
    from ketaflow.devices.matching import ListenerCache
    from ketaflow.treatments.models import TreatmentSession

    cache = ListenerCache()

    def send(ctrl: str) -> Any:
        [out] = ingest_batch(
            clinic, [Frame(M.ge_b40(ctrl).encode(), "10.0.0.7:1", timezone.now())], cache
        )
        return out

    assert send("C-1").text.startswith("Stored")
    other = add_chair(clinic_admin, name="Chair 2")
    sessions = TreatmentSession.objects.filter(pk=checked_in.pk)
    sessions.update(chair=other, version=F("version") + 1)  # as a service write would
    assert "another chair" in send("C-2").text
    sessions.update(status="discharged")  # even without a version bump
    assert "no active treatment session" in send("C-3").text
    assert DeviceReading.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_store_writes_only_through_the_one_statement(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    """On PostgreSQL a batch is stored outside any transaction, in autocommit mode
    (`ingest._batch_transaction`: no BEGIN and COMMIT round trips). That is atomic only while
    the batch's one write is `insert_pg`'s statement: a write through Django's cursor (a save,
    a bulk_create, an audit event written apart) would show here."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores a batch with the ORM's inserts, in a transaction")
    with CaptureQueriesContext(connection) as queries:
        outs = ingest(clinic, M.ge_b40("W-1"), M.ge_b40("W-2", mrn="NOBODY"), M.welch_allyn("W-3"))
    assert [o.stored for o in outs] == [True] * 3
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    # Once the statement has committed, the change stamp says data changed (`ops.freshness`,
    # so pages redraw); it is the change stamp's own row, after the batch, not part of it.
    assert writes == [freshness._BUMP]
    assert InboundMessage.objects.count() == 3 and DeviceReading.objects.count() == 2
    events = AccessEvent.objects.filter(object_type="devices.InboundMessage")
    assert sorted(int(e.object_id) for e in events) == sorted(o.message_id for o in outs)

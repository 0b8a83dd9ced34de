import pytest
from django.db import DatabaseError, connection, transaction

from ketaflow.audit.models import AccessEvent, AppendOnlyError
from ketaflow.audit.services import record_event


@pytest.fixture
def event(db, nurse):
    return record_event(actor=nurse, action="view", detail={"part": "chart"})


def test_an_event_cannot_be_saved_again(event):
    event.action = "list"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_an_event_cannot_be_deleted_through_the_model(event):
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_events_cannot_be_bulk_updated_or_deleted(event):
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().update(action="list")
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_accessevent SET action = 'list'", "DELETE FROM audit_accessevent"]
)
def test_the_database_refuses_raw_updates_and_deletes(event, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AccessEvent.objects.filter(pk=event.pk, action="view").exists()


def test_an_event_records_who_and_what(event, nurse):
    assert event.actor == nurse
    assert event.actor_label == "nina.nurse (nurse)"
    assert event.clinic_id == nurse.clinic_id
    assert event.channel == "system"

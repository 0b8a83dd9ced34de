"""A worrying diary answer raises its alert and queues its email in the entry's transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from ketaflow.homediary import alerts as alerts_module
from ketaflow.homediary import services
from ketaflow.homediary.models import DiaryEntry, HomeAlert, HomeAlertKind
from ketaflow.homediary.services import DiaryInput
from ketaflow.homediary.tests.conftest import diary_path, entry_data
from ketaflow.mail.models import OutboxMessage
from ketaflow.portal.models import PortalLink

pytestmark = pytest.mark.django_db


def _link(issued: Any) -> PortalLink:
    return PortalLink.objects.select_related("patient__clinic", "clinic").get(pk=issued.link.pk)


def test_breathing_trouble_stores_the_entry_its_alert_and_its_email_together(
    issue: Any, patient: Any, supply: Any, staff_emails: list[str]
) -> None:
    link = _link(issue(patient))
    now = timezone.now()
    recorded = services.record_entry(
        link, DiaryInput(taken_at=now, dose_mg=50, breathing_trouble=True), now=now
    )
    alert = HomeAlert.objects.get()
    assert recorded.alert == alert and alert.entry == recorded.entry
    assert alert.kind == HomeAlertKind.DIARY and alert.codes == ["breathing"]
    assert recorded.entry.supply == supply  # the supply the dose came from
    message = OutboxMessage.objects.get(kind=alerts_module.EMAIL_KIND)
    assert sorted(message.recipients) == sorted(staff_emails)
    assert f"/homediary/alerts/{alert.pk}/" in message.body
    assert patient.family_name not in message.body


def test_a_failing_alert_leaves_no_entry_behind(
    issue: Any, patient: Any, supply: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = _link(issue(patient))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("mail table unavailable")

    monkeypatch.setattr(services, "raise_home_alert", broken)
    now = timezone.now()
    with pytest.raises(RuntimeError):
        services.record_entry(link, DiaryInput(taken_at=now, dose_mg=50, fainted=True), now=now)
    assert not DiaryEntry.objects.exists()
    assert not HomeAlert.objects.exists()


def test_a_rolled_back_entry_takes_its_alert_and_email_with_it(
    issue: Any, patient: Any, supply: Any, staff_emails: list[str]
) -> None:
    link = _link(issue(patient))
    now = timezone.now()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.record_entry(link, DiaryInput(taken_at=now, dose_mg=50, drowsy=3), now=now)
        assert HomeAlert.objects.count() == 1
        1 / 0  # noqa: B018
    assert not DiaryEntry.objects.exists()
    assert not HomeAlert.objects.exists()
    assert not OutboxMessage.objects.filter(kind=alerts_module.EMAIL_KIND).exists()


@pytest.mark.parametrize(
    ("posted", "code"),
    [
        ({"dose_mg": "100"}, "dose_above_authorised"),  # 50 mg authorised
        ({"sbp": "185", "dbp": "100"}, "bp_high"),
        ({"side_effects": "vomiting", "worst_severity": "severe"}, "severe_side_effect"),
        ({"detached": "3"}, "self_check_detached"),
    ],
)
def test_the_phone_page_alerts_on_each_worrying_answer(
    issue: Any,
    patient: Any,
    supply: Any,
    portal_client: Client,
    staff_emails: list[str],
    posted: dict[str, str],
    code: str,
) -> None:
    issued = issue(patient)
    page = portal_client.post(diary_path(issued), entry_data(**posted))
    assert page.status_code == 200, page.content.decode()
    alert = HomeAlert.objects.get()
    assert alert.codes == [code]
    assert "we have told them" in page.content.decode()


def test_a_calm_entry_raises_nothing_and_a_nurse_acknowledges_it(
    issue: Any, patient: Any, supply: Any, portal_client: Client, nurse: Any
) -> None:
    issued = issue(patient)
    page = portal_client.post(diary_path(issued), entry_data())
    assert "is in your diary" in page.content.decode()
    assert not HomeAlert.objects.exists()
    entry = DiaryEntry.objects.get()
    assert entry.recorded_by is None and entry.link_id == issued.link.pk
    services.acknowledge_entry(nurse, entry, "")
    entry.refresh_from_db()
    assert entry.acknowledged_by == nurse and entry.acknowledged_at is not None


def test_acknowledging_a_worrying_entry_needs_a_note_and_closes_its_alert(
    issue: Any, patient: Any, supply: Any, nurse: Any
) -> None:
    from django.core.exceptions import ValidationError

    link = _link(issue(patient))
    now = timezone.now()
    entry = services.record_entry(
        link, DiaryInput(taken_at=now, dose_mg=50, fainted=True), now=now
    ).entry
    with pytest.raises(ValidationError):
        services.acknowledge_entry(nurse, entry, "  ")
    services.acknowledge_entry(nurse, entry, "Called: fainted on standing, now well.")
    alert = HomeAlert.objects.get()
    assert alert.acknowledged_by == nurse and "Called" in alert.action_note


def test_times_in_the_future_or_long_ago_are_refused(issue: Any, patient: Any) -> None:
    from django.core.exceptions import ValidationError

    link = _link(issue(patient))
    now = timezone.now()
    for when in (now + timedelta(hours=1), now - timedelta(days=8)):
        with pytest.raises(ValidationError):
            services.record_entry(link, DiaryInput(taken_at=when, dose_mg=50), now=now)
    assert not DiaryEntry.objects.exists()


def test_the_sent_email_notes_whom_it_reached(
    issue: Any,
    patient: Any,
    staff_emails: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    link = _link(issue(patient))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.something_wrong(link, now=timezone.now())
    assert sorted(HomeAlert.objects.get().emailed_to) == sorted(staff_emails)
    assert len(mail.outbox) == 1

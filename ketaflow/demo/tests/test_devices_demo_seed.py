"""The demo seed binds every chair and leaves one message in the holding queue, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ketaflow.demo.devices import seed_demo_devices
from ketaflow.devices.models import InboundMessage, MessageStatus, MonitorBinding

pytestmark = pytest.mark.django_db


def test_seed_binds_chairs_and_holds_one_message_idempotently(
    clinic: Any, clinic_admin: Any, chair: Any
) -> None:
    made = seed_demo_devices(clinic, clinic_admin, now=timezone.now())
    assert [(b.chair, b.location) for b in made] == [(chair, "BED1")]
    assert seed_demo_devices(clinic, clinic_admin, now=timezone.now()) == []
    assert MonitorBinding.objects.count() == 1
    held = InboundMessage.objects.get()
    assert held.status == MessageStatus.HELD and "unassigned bed" in held.reason

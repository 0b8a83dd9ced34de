"""A session's protocol (`derive.protocol_of`) is parsed from its version row once per loaded
row, not once per question the board asks of it, and a row loaded again is parsed again."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.treatments import derive
from ketaflow.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db


def test_the_protocol_is_parsed_once_per_loaded_version_row(
    checked_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ketaflow.courses.models import ProtocolVersion

    parsed: list[int] = []
    load = ProtocolVersion.load

    def counting(self: ProtocolVersion) -> Any:
        parsed.append(self.pk)
        return load(self)

    monkeypatch.setattr(ProtocolVersion, "load", counting)
    session = TreatmentSession.objects.select_related("protocol_version").get(pk=checked_in.pk)
    first = derive.protocol_of(session)
    assert derive.protocol_of(session) is first
    derive.max_pause_of(session)
    derive.discharge_policy(session)
    assert len(parsed) == 1
    again = TreatmentSession.objects.select_related("protocol_version").get(pk=checked_in.pk)
    assert derive.protocol_of(again) == first
    assert len(parsed) == 2  # a row loaded again is read again
    session.protocol_version.data = {**session.protocol_version.data}
    derive.protocol_of(session)
    assert len(parsed) == 3  # new data on the row: parsed again

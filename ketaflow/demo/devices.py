"""Demo data for the devices app: monitors bound to the demo clinic's chairs, one held message.

For `seed-demo` (the lead wires it in): `seed_demo_devices(clinic, admin, now=...)`. Everything
goes through the same services as real use: bindings via `bind_chair`, the held message via
the listener's own `ingest_batch`.
"""

from __future__ import annotations

from datetime import datetime

from ketaflow.accounts.models import Clinic, User
from ketaflow.courses.models import Chair
from ketaflow.devices import configuration, ingest
from ketaflow.devices.models import MonitorBinding


def seed_demo_devices(clinic: Clinic, admin: User, *, now: datetime) -> list[MonitorBinding]:
    """Bind chair n (by name order) to monitor bed label `BEDn`; hold one unassigned message.

    Idempotent: chairs already bound keep their binding, and the sample message has a fixed
    control id, so a second run stores nothing new.
    """
    bound = set(
        MonitorBinding.objects.filter(clinic=clinic, active=True).values_list("chair_id", flat=True)
    )
    made = []
    for n, chair in enumerate(Chair.objects.filter(clinic=clinic, active=True), start=1):
        if chair.pk not in bound:
            made.append(configuration.bind_chair(admin, chair.pk, f"BED{n}"))
    stamp = now.strftime("%Y%m%d%H%M%S")
    sample = (
        f"MSH|^~\\&|||||{stamp}||ORU^R01|HPDEMO0001|P|2.3||||||8859/1\r"
        'PID|||""^^^^MR\r'
        "PV1||I|ICU/PCU^^BED9&0&0\r"
        f"OBR||||Monitoring|||{stamp}\r"
        "OBX||NM|0002-4182^HR^MDIL|0|74|0004-0aa0^bpm^MDIL|||||F\r"
        "OBX||NM|0002-4bb8^SpO2^MDIL|0|98|0004-0220^%^MDIL|||||F\r"
    )
    ingest.ingest_batch(clinic, [ingest.Frame(sample.encode("latin-1"), "demo", now)])
    return made

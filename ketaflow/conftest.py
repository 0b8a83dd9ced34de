"""Test personas and database helpers shared by every app's tests.

Personas (all in "Riverside Clinic" unless said): `front_desk`, `nurse`, `prescriber`,
`clinic_admin`, `researcher`, and `outsider` (a prescriber in another clinic). `login(client,
user)` signs a persona in, passing two-factor for roles that need it, as a real sign-in would.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

PASSWORD = "correct horse battery staple 42"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "worker: kills or runs `ketaflow worker` as a real process; CI runs these once more "
        "with KETAFLOW_TEST_WORKER=rq (an RQ worker on Redis)",
    )


# Property tests: no per-example deadline (a shared 2-core CI machine makes timings noisy, and
# a timing failure says nothing about correctness); in CI, derandomised so a red run can be
# reproduced exactly. Locally, Hypothesis keeps exploring new examples.
hypothesis_settings.register_profile(
    "ketaflow",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
)
hypothesis_settings.load_profile("ketaflow")


# Every test runs at this instant unless it pins another with `clock(at)`: a Wednesday in
# late November, mid-morning in London (GMT) and early morning in New York. No test reads the
# wall clock, so none passes on one weekday and fails on another (`test_no_wall_clock.py`
# guards the rest).
DEFAULT_NOW = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)


_DJANGO_NOW = timezone.now
_aliases: tuple[int, list[tuple[Any, str]]] = (0, [])


def _names_bound_to_djangos_now() -> list[tuple[Any, str]]:
    """Modules that did `from django.utils.timezone import now` (django-axes, Django's cache…).

    They hold the function itself, so pinning `timezone.now` alone would leave them on the wall
    clock. Found once per set of loaded modules.
    """
    global _aliases
    if _aliases[0] != len(sys.modules):
        found = [
            (module, name)
            for module in list(sys.modules.values())
            for name, value in list(getattr(module, "__dict__", {}).items())
            if value is _DJANGO_NOW and module is not timezone
        ]
        _aliases = (len(sys.modules), found)
    return _aliases[1]


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Pin "now" (Django's clock, which every service, view and command reads) to an instant.

    It moves on a millisecond per reading so histories and audit rows stay ordered. Every test
    starts at `DEFAULT_NOW`; a test that needs another moment calls `clock(at)`, before the
    fixtures that build its world, so their "three hours ago" is relative to it.
    `clock(at, still=True)` stops it there: for comparing two ways of writing the same rows,
    which may read the clock a different number of times.
    """

    def pin(at: datetime, *, still: bool = False) -> None:
        if at.tzinfo is None:
            raise ValueError("pin the clock to an aware datetime")
        ticks = itertools.count()

        def now() -> datetime:
            return at if still else at + timedelta(milliseconds=next(ticks))

        monkeypatch.setattr(timezone, "now", now)
        for module, name in _names_bound_to_djangos_now():
            monkeypatch.setattr(module, name, now)

    pin(DEFAULT_NOW)
    return pin


@pytest.fixture(autouse=True)
def _audit_flush_permit(request: pytest.FixtureRequest) -> Iterator[None]:
    """SQLite's append-only trigger blocks DELETE on the audit table unless a permit row exists.

    Transactional tests (live server, browser) end with a flush that empties every table, so
    they get the permit; all other tests run without it, so they see the real guard.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "live_server" in request.fixturenames
        or "transactional_db" in (request.fixturenames)
        or bool(marker and marker.kwargs.get("transaction"))
    )
    uses_db = transactional or marker is not None or "db" in request.fixturenames
    if uses_db:
        request.getfixturevalue("transactional_db" if transactional else "db")
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                if transactional:
                    cursor.execute("INSERT OR IGNORE INTO audit_flush_permit (id) VALUES (1)")
                else:
                    cursor.execute("DELETE FROM audit_flush_permit")
    yield


@pytest.fixture(autouse=True)
def _no_memo_from_an_earlier_test() -> None:
    """Each test starts with no memoised page (`ops.freshness`): an earlier test's rows are
    gone, and on SQLite their primary keys come back."""
    from ketaflow.ops import freshness

    freshness.forget()
    freshness.phase = 0.0  # windows on the shared grid: a moved clock crosses them predictably


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Tests make many users: hash with MD5 there. Production hashing (Argon2) is checked by
    `accounts/tests/test_password_hashing.py` against the settings module itself."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_where_queued(settings: Any) -> None:
    """Background jobs run at once, in the test's process (Django Tasks' ImmediateBackend).

    Jobs queued on commit still wait for the commit (`django_capture_on_commit_callbacks`).
    The worker's own tests (`cli/tests/test_worker_command.py` and the kill tests of each job)
    switch to the database or RQ backend and run `ketaflow worker` as a real process.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def clinic(db: Any) -> Any:
    from ketaflow.accounts.models import Clinic

    return Clinic.objects.create(
        name="Riverside Clinic", slug="riverside", timezone="Europe/London"
    )


@pytest.fixture
def other_clinic(db: Any) -> Any:
    from ketaflow.accounts.models import Clinic

    return Clinic.objects.create(
        name="Hillside Clinic", slug="hillside", timezone="America/New_York"
    )


def _make_user(clinic: Any, username: str, role: str, **extra: Any) -> Any:
    from ketaflow.accounts.models import User

    user = User(username=username, role=role, clinic=clinic, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def front_desk(clinic: Any) -> Any:
    return _make_user(clinic, "fiona.frontdesk", "front_desk", first_name="Fiona")


@pytest.fixture
def nurse(clinic: Any) -> Any:
    return _make_user(clinic, "nina.nurse", "nurse", first_name="Nina", title="RN")


@pytest.fixture
def prescriber(clinic: Any) -> Any:
    return _make_user(clinic, "paul.prescriber", "prescriber", first_name="Paul", title="MD")


@pytest.fixture
def clinic_admin(clinic: Any) -> Any:
    return _make_user(clinic, "alice.admin", "clinic_admin", first_name="Alice")


@pytest.fixture
def researcher(clinic: Any) -> Any:
    return _make_user(clinic, "rita.researcher", "researcher", first_name="Rita")


@pytest.fixture
def outsider(other_clinic: Any) -> Any:
    return _make_user(other_clinic, "oscar.outsider", "prescriber", first_name="Oscar")


@pytest.fixture
def personas(
    front_desk: Any, nurse: Any, prescriber: Any, clinic_admin: Any, researcher: Any, outsider: Any
) -> dict[str, Any]:
    return {
        "front_desk": front_desk,
        "nurse": nurse,
        "prescriber": prescriber,
        "clinic_admin": clinic_admin,
        "researcher": researcher,
        "outsider": outsider,
    }


@pytest.fixture
def patient(clinic: Any, front_desk: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.create(
        clinic=clinic,
        mrn="KF-000001",
        given_name="Jane",
        family_name="Doe",
        date_of_birth=date(1985, 4, 12),
        sex_at_birth="female",
        can_become_pregnant=True,
        created_by=front_desk,
    )


@pytest.fixture
def outsider_patient(other_clinic: Any, outsider: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.create(
        clinic=other_clinic,
        mrn="KF-000001",
        given_name="Olga",
        family_name="Other",
        date_of_birth=date(1979, 1, 2),
        sex_at_birth="female",
        created_by=outsider,
    )


def sign_in(client: Client, user: Any) -> Client:
    """Sign in as a persona, passing two-factor (a confirmed static device) where required."""
    client.force_login(user)
    if user.requires_2fa:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_static.models import StaticDevice

        device, _ = StaticDevice.objects.get_or_create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def login() -> Callable[[Client, Any], Client]:
    return sign_in

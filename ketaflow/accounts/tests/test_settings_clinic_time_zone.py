"""Times are stored in UTC and shown in the signed-in user's clinic zone."""

from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from ketaflow.accounts.middleware import ClinicTimezoneMiddleware


def zone_during_request(user):
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = user
    ClinicTimezoneMiddleware(view)(request)
    return seen["zone"]


def test_the_clinics_zone_is_active_during_the_request(nurse, outsider):
    assert zone_during_request(nurse) == "Europe/London"
    assert zone_during_request(outsider) == "America/New_York"


def test_signed_out_visitors_see_the_server_zone(db):
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser

    assert zone_during_request(AnonymousUser()) == settings.TIME_ZONE


def test_the_zone_is_reset_after_the_request(nurse):
    zone_during_request(nurse)
    assert timezone.get_current_timezone_name() == timezone.get_default_timezone_name()


def test_the_zone_does_not_leak_out_of_a_page_request(client, login, outsider):
    login(client, outsider)
    response = client.get("/")
    assert response.status_code == 200
    assert timezone.get_current_timezone_name() == timezone.get_default_timezone_name()


def test_a_clinic_zone_must_be_a_real_zone(db):
    import pytest
    from django.core.exceptions import ValidationError

    from ketaflow.accounts.models import Clinic

    with pytest.raises(ValidationError):
        Clinic(name="X", slug="x", timezone="Mars/Olympus").full_clean()

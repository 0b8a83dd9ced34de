"""How the client address is found (sign-in lockout and the audit log share it)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from ketaflow.audit.middleware import client_ip
from ketaflow.settings import client_address_settings


def request(xff=None, remote="10.0.0.1"):
    meta = {"REMOTE_ADDR": remote}
    if xff:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "xff", "expected"),
    [
        (0, None, "10.0.0.1"),
        (0, "203.0.113.5", "10.0.0.1"),  # no proxy: the header is the client's own claim
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "192.0.2.1, 203.0.113.5", "203.0.113.5"),  # a forged first entry is skipped
        (2, "203.0.113.5, 198.51.100.2", "203.0.113.5"),  # CDN, then our proxy
        (2, "192.0.2.1, 203.0.113.5, 198.51.100.2", "203.0.113.5"),
    ],
)
def test_the_client_is_the_nth_address_from_the_right(proxies, xff, expected):
    from axes.helpers import get_client_ip_address

    with override_settings(**client_address_settings(proxies)):
        assert get_client_ip_address(request(xff)) == expected
        assert client_ip(request(xff)) == expected


def test_without_the_header_behind_a_proxy_the_audit_log_falls_back_to_the_peer():
    with override_settings(**client_address_settings(1)):
        assert client_ip(request(None)) == "10.0.0.1"


def test_a_negative_proxy_count_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        client_address_settings(-1)


def test_the_default_trusts_no_forwarded_header():
    from django.conf import settings

    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ["REMOTE_ADDR"]

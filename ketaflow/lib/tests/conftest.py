"""Fixtures for the API tests in this folder."""

from ketaflow.lib.tests.api_client import fast_password_hashing  # noqa: F401

"""Passwords are hashed with Argon2 in every real deployment (tests swap in a fast hasher)."""

import importlib

from django.contrib.auth.hashers import check_password, make_password
from django.test import override_settings


def test_the_settings_module_hashes_with_argon2_first():
    settings_module = importlib.import_module("ketaflow.settings")
    assert settings_module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_an_argon2_hash_verifies_and_names_its_algorithm():
    settings_module = importlib.import_module("ketaflow.settings")
    with override_settings(PASSWORD_HASHERS=settings_module.PASSWORD_HASHERS):
        hashed = make_password("correct horse battery staple 42")
        assert hashed.startswith("argon2$")
        assert check_password("correct horse battery staple 42", hashed)
        assert not check_password("wrong", hashed)

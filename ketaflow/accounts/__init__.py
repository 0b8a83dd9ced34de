"""Clinics (tenancy), users, roles, two-factor sign-in, lockout and idle sign-out."""

"""`ketaflow demo-banner`: print where the demo runs and how to sign in."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand

from ketaflow.demo.clinic import DEMO_PASSWORD, SIGN_INS


def banner(port: str) -> str:
    """The box `make demo` shows before the server starts."""
    rows = [
        f"Ketaflow demo: http://127.0.0.1:{port}/",
        "SYNTHETIC DEMO DATA: every clinic, person and record is made up.",
        "",
        f"Every sign-in uses the password: {DEMO_PASSWORD}",
        "",
        f"{'username':<12} role",
        *(f"{s.username:<12} {s.role_label}" for s in SIGN_INS),
        "",
        "Django admin (platform operator only): /admin/",
    ]
    width = max(len(r) for r in rows)
    line = "+" + "-" * (width + 2) + "+"
    return "\n".join([line, *(f"| {r:<{width}} |" for r in rows), line])


class Command(BaseCommand):
    help = "Print the demo URL and the demo sign-ins (username, password, role)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(banner(os.environ.get("PORT") or "8000"))

"""`ketaflow hl7-listen --clinic SLUG [--host 127.0.0.1] [--port 2575]`: bedside monitor feed.

One listener serves one clinic (`--clinic`): MRNs are unique per clinic only, and a
monitor's bed label means a chair of the clinic whose network it is on, so a listener
never guesses the clinic from what a device sends. Run one listener (port) per clinic.

Several listeners may serve one clinic (two hosts, monitors split between them): each
message is stored once whichever listener it reaches, however often it is resent. Give each
an `--instance` name, so each beats under its own heartbeat (`hl7:<slug>/<instance>`, for
KETAFLOW_READY_HEARTBEATS) and /metrics counts each one's frames.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaflow.accounts.models import Clinic
from ketaflow.devices.listener import (
    DEFAULT_BATCH,
    DEFAULT_IDLE_SECONDS,
    DEFAULT_MAX_BYTES,
    Listener,
    run,
)

INSTANCE = re.compile(r"[A-Za-z0-9._-]{1,40}")


class Command(BaseCommand):
    help = "Receive HL7 v2 ORU^R01 vital signs from bedside monitors over MLLP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="Slug of the clinic this listener serves.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2575, help="0 = any free port.")
        parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
        parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_SECONDS)
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
        parser.add_argument("--db-workers", type=int, default=1)
        parser.add_argument(
            "--instance",
            default="",
            help="This listener's name when several serve one clinic (letters, digits, . _ -): "
            "its heartbeat is then hl7:<clinic>/<instance>.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        logging.basicConfig(
            level=logging.INFO if opts["verbosity"] >= 1 else logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )
        if opts["instance"] and not INSTANCE.fullmatch(opts["instance"]):
            raise CommandError("--instance: 1-40 letters, digits, '.', '_' or '-'.")
        clinic = self._clinic(opts["clinic"])
        listener = Listener(
            clinic,
            opts["host"],
            opts["port"],
            max_bytes=opts["max_bytes"],
            idle_seconds=opts["idle_timeout"],
            batch_size=opts["batch"],
            db_workers=opts["db_workers"],
            instance=opts["instance"],
        )

        def ready(port: int) -> None:
            sys.stdout.write(f"listening on {opts['host']}:{port} for {clinic.slug}\n")
            sys.stdout.flush()

        asyncio.run(run(listener, ready))

    def _clinic(self, slug: str | None) -> Clinic:
        if slug:
            clinic = Clinic.objects.filter(slug=slug).first()
            if clinic is None:
                raise CommandError(f"No clinic with slug {slug!r}.")
            return clinic
        clinics = list(Clinic.objects.all()[:2])
        if len(clinics) == 1:
            return clinics[0]
        raise CommandError("Say which clinic this listener serves: --clinic SLUG.")

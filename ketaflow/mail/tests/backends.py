"""Email backends for the outbox tests: a mail server that refuses, and one that never answers.

`RefusingBackend` raises as an unreachable SMTP server does (the message is not handed over).
`HangingBackend` stands for a send in progress: it drops a marker file, then waits, so the
kill test can kill -9 the worker while it holds the message, before it was handed over.
"""

from __future__ import annotations

import os
import smtplib
import time
from collections.abc import Sequence
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class HangingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        Path(os.environ["KETAFLOW_TEST_SENDING_MARKER"]).write_text("sending")
        time.sleep(600)
        return 0

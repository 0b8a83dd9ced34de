"""Heartbeats: the last moment each long-running process (scheduler, HL7 listener) said it
was alive, so a readiness probe in the web process can tell a stalled one from a live one."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """One row per process name, updated in place (`services.beat`): not a history."""

    name = models.CharField(max_length=120, unique=True, help_text='"scheduler", "hl7:<clinic>"')
    last_beat_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at {self.last_beat_at:%Y-%m-%d %H:%M:%S}"

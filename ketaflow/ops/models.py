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


class ChangeStamp(models.Model):
    """One row: a counter bumped after every committed write that can change a page
    (`freshness`), so every process knows when its memoised answers are out of date."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"change stamp {self.value}"

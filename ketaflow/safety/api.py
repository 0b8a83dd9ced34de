"""The safety app as JSON, through the same services as its pages."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["safety"])

"""Rebuilding the outcome summaries after a synthetic load (the outcomes app, found at run
time: it sits on the synthetic app's own layer, which may not import it)."""

from __future__ import annotations

import importlib


def rebuild_outcomes(clinic_id: int) -> str:
    """Call `outcomes.services.rebuild_course_outcomes` if that app provides it yet."""
    try:
        services = importlib.import_module("ketaflow.outcomes.services")
    except ImportError:
        return "skipped: ketaflow.outcomes.services does not exist yet"
    rebuild = getattr(services, "rebuild_course_outcomes", None)
    if rebuild is None:
        return "skipped: ketaflow.outcomes.services.rebuild_course_outcomes does not exist yet"
    result = rebuild(clinic_id=clinic_id)
    return f"rebuilt ({result})" if result is not None else "rebuilt"

"""The session page's forms: the chair-side actions (`actions`) and the scales (`scales`)."""

from ketaflow.treatments.forms.scales import (
    SESSION_SCALE_CODES,
    SessionScaleForm,
    pre_session_form,
    session_scale_forms,
)

__all__ = ["SESSION_SCALE_CODES", "SessionScaleForm", "pre_session_form", "session_scale_forms"]

"""The session page's forms: the chair-side actions (`actions`) and the scales (`scales`)."""

from ketaflow.treatments.forms.scales import (
    SESSION_SCALE_CODES,
    RecoveryScoreForm,
    SessionScaleForm,
    pre_session_form,
    recovery_score_forms,
    session_scale_forms,
)

__all__ = [
    "SESSION_SCALE_CODES",
    "RecoveryScoreForm",
    "SessionScaleForm",
    "pre_session_form",
    "recovery_score_forms",
    "session_scale_forms",
]

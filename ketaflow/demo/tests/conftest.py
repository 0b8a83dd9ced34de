"""The worlds the demo's tests seed into: the treatment session's and the portal's."""

from ketaflow.portal.tests.conftest import *  # noqa: F403  (fixtures, re-exported)
from ketaflow.treatments.tests.conftest import (  # noqa: F401  (fixtures, re-exported)
    appointment,
    chair,
    checked_in,
    course,
    gates_open,
    ordered,
    protocols,
    ready,
)

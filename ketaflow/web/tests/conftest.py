"""The treatment-session world (a course, a chair, today's appointment, a session at each
step), for the worklist tests: the items on a role's home are real records."""

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

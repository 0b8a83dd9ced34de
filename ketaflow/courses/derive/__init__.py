"""From stored courses to the core's inputs and back: `planning` (series dates, next step,
chair time) and `followup` (outcome findings and the phase moves they propose).

No permission checks and no writes here: callers are services and selectors that did theirs.
"""

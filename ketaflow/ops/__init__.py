"""Running Ketaflow as a service: heartbeats, readiness checks, metrics and JSON logs (#14).

For other processes, one call: `ketaflow.ops.services.beat(name, now, details)` after each
round of work (the scheduler: `beat("scheduler", now)`; an HL7 listener: `beat("hl7:<clinic
slug>", now, ...)`). `/readyz` fails when a heartbeat named in `KETAFLOW_READY_HEARTBEATS` is
older than `KETAFLOW_HEARTBEAT_MAX_AGE_SECONDS` or missing; a heartbeat nobody expects never
fails it.
"""

"""The scheduler: one process enqueues the periodic jobs, once per job and period (#14)."""

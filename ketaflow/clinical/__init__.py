"""The clinical core: every clinical decision Ketaflow makes.

Pure Python over dataclasses and enums: no Django, no I/O, no clock (time is always a
parameter). Every decision carries the `Source`s it rests on (see `evidence`).
"""

"""Ketaflow: runs a ketamine-for-anxiety treatment programme in a clinic, safely and measurably."""

__version__ = "0.1.0"

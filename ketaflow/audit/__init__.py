"""Append-only record of every read and write of patient data; amendments; record history."""

"""The patient chart: demographics, diagnoses, history, medications, allergies, measurements."""

"""FHIR R4B exchange: export (bundles, NDJSON, CSV), resource reads and questionnaire import."""

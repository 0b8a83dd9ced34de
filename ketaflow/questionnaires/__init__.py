"""Rating-scale responses: instruments from the clinical core, answers, computed scores."""

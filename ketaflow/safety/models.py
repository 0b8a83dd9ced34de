"""Models of the safety app."""

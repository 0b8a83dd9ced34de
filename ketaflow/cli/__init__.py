"""Command-line edges of the clinical core (`ketaflow score`, `ketaflow dose`, `ketaflow pk`)."""

"""Treatment courses: protocol versions, phases, the planned series, chairs and appointments."""

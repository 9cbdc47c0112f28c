"""The clinician's learning: grading, attempts, completion."""

"""The registry's work on a case: the staff case page, notes, assignment, transitions."""

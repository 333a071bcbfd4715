"""Proposing hearing times, booking them, and the pages that do it."""

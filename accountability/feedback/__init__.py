"""Feedback on every page, its answers, and the hearing satisfaction survey."""

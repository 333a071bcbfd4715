"""Hearing settings and hours, default durations, interpreters, rooms and availability."""

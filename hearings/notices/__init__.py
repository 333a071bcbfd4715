"""Notices of hearing (email with a calendar invite, and printable), reminders, resending."""

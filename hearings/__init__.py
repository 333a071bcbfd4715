"""Availability, scheduling, notices, video rooms (Jitsi), attendance, outcomes and decisions."""

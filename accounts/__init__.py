"""People: registration, email confirmation, sign-in, sessions, password reset, profile."""

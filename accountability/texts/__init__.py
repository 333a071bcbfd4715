"""Text message reminders: a confirmed mobile number, consent, reminders, opt-outs."""

"""Fee schedules, payment providers, receipts, refunds, fee waivers and reconciliation."""

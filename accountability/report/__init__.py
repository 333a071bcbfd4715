"""The annual performance report: volumes, standards, accommodations, fees, feedback, notices."""

"""Attendance of video hearings: joins and leaves from signed webhooks (JaaS, a self-hosted
Jitsi's event_sync) and from the hearing page, as intervals per participant, and the summary
of who came."""

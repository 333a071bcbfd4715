"""The participant's self-test of their camera, microphone and sound before a video hearing,
and what the adjudicator's console and the clerk's day view read of it."""

"""Feedback on every page, its answers, and the hearing satisfaction survey.

Importing the package registers the survey's ``filings.lifecycle.on_move`` listener, which
sends the survey once a hearing is held: the composition root imports it with the rest of
``accountability``.
"""

from accountability.feedback import survey as survey

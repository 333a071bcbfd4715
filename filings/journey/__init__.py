"""The claimant's journey: the steps of a filing, drafts, submission, the case page."""

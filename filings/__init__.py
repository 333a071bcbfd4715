"""Filing wizard, drafts, submissions, parties, documents, the docket and case timeline."""

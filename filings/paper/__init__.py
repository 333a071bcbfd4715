"""Paper filings: a clerk enters a filing received on paper; the claimant claims it online."""

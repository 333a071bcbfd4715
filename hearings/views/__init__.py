"""What parties, adjudicators and the registry see of hearings."""

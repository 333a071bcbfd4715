"""Tribune: online filing, dockets, video hearings and fee payments for public tribunals."""

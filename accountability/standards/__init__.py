"""Service standards: declared, measured from the case events, published."""

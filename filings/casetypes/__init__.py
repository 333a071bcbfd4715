"""Kinds of case: their versioned definitions (questions, document slots, deadline and fee
rules), how answers to them are read, and the administrators' editor."""

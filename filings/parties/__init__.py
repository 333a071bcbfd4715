"""Parties to a case: respondents, representatives, access codes and responses."""

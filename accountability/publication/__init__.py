"""The public "Our service standards" page of each tribunal and its CSV and JSON downloads:
the figures the tribunal published for its last four quarters, with the method, never live
figures and never a case."""

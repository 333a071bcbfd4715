"""The hearing page of a video hearing: the join window, check-in and the waiting room."""

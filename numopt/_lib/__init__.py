"""Private infrastructure shared by every numopt solver (dispatch, validation, results)."""

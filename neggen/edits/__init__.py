"""The edit form: which spans a caption offers, the edits' regex, applying an answer, derived examples."""

def average_scores(records):
    """Return a dict mapping each name in records to its average score, rounded to 1 decimal.

    records is a list of (name, score) tuples.
    """
    raise NotImplementedError("Write average_scores() here")


def honour_roll(averages, threshold=90):
    """Return the sorted list of names whose average is at least threshold."""
    raise NotImplementedError("Write honour_roll() here")

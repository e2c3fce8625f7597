def average_scores(records):
    """Return a dict mapping each name in records to its average score, rounded to 1 decimal.

    records is a list of (name, score) tuples.
    """
    totals = {}
    counts = {}
    for name, score in records:
        totals[name] = totals.get(name, 0) + score
        counts[name] = counts.get(name, 0) + 1
    return {name: round(totals[name] / counts[name], 1) for name in totals}


def honour_roll(averages, threshold=90):
    """Return the sorted list of names whose average is at least threshold."""
    return sorted([name for name, average in averages.items() if average >= threshold])

def chunk(items, size):
    """Return a new list of lists holding the items in groups of size (the last may be shorter)."""
    raise NotImplementedError("Write chunk() here")

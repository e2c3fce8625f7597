def chunk(items, size):
    """Return a new list of lists holding the items in groups of size (the last may be shorter)."""
    chunks = []
    for start in range(0, len(items), size):
        chunks.append(items[start:start + size])
    return chunks

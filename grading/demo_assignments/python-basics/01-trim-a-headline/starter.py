def shorten(text, width):
    """Return text cut to at most width characters, ending in "..." if it was cut.

    Text that fits (len(text) <= width) is returned unchanged. Otherwise the first
    width - 3 characters are kept, trailing spaces are removed and "..." is added.
    """
    raise NotImplementedError("Write shorten() here")

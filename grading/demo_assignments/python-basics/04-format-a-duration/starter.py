def split_duration(seconds):
    """Return (hours, minutes, seconds) for a whole number of seconds."""
    raise NotImplementedError("Write split_duration() here")


def format_duration(seconds, sep=":"):
    """Return the duration as "H:MM:SS", with sep between the parts."""
    raise NotImplementedError("Write format_duration() here")

def split_duration(seconds):
    """Return (hours, minutes, seconds) for a whole number of seconds."""
    hours = seconds // 3600
    minutes = seconds % 3600 // 60
    secs = seconds % 60
    return hours, minutes, secs


def format_duration(seconds, sep=":"):
    """Return the duration as "H:MM:SS", with sep between the parts."""
    hours, minutes, secs = split_duration(seconds)
    return f"{hours}{sep}{minutes:02d}{sep}{secs:02d}"

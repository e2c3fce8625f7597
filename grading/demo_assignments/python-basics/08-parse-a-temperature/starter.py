def parse_temperature(text):
    """Return the temperature in text (like "21.5C" or "70 F") in degrees Celsius.

    The result is rounded to 1 decimal. Raises ValueError for empty text, an unknown unit,
    a missing or invalid number, or a temperature below absolute zero (-273.15 C).
    """
    raise NotImplementedError("Write parse_temperature() here")

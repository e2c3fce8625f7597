ABSOLUTE_ZERO = -273.15


def parse_temperature(text):
    """Return the temperature in text (like "21.5C" or "70 F") in degrees Celsius.

    The result is rounded to 1 decimal. Raises ValueError for empty text, an unknown unit,
    a missing or invalid number, or a temperature below absolute zero (-273.15 C).
    """
    text = text.strip()
    if not text:
        raise ValueError("empty temperature")
    unit = text[-1].upper()
    value = float(text[:-1])  # raises ValueError for a missing or invalid number
    if unit == "F":
        celsius = (value - 32) * 5 / 9
    elif unit == "C":
        celsius = value
    else:
        raise ValueError(f"unknown unit: {text[-1]!r}")
    if celsius < ABSOLUTE_ZERO:
        raise ValueError(f"below absolute zero: {text!r}")
    return round(celsius, 1)

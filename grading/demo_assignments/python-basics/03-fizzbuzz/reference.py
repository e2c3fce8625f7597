def fizzbuzz(n):
    """Return the FizzBuzz game from 1 to n as one string, one line per number.

    Lines are separated by "\\n", with no newline after the last one; fizzbuzz(0) is "".
    """
    lines = []
    for number in range(1, n + 1):
        if number % 15 == 0:
            lines.append("FizzBuzz")
        elif number % 3 == 0:
            lines.append("Fizz")
        elif number % 5 == 0:
            lines.append("Buzz")
        else:
            lines.append(str(number))
    return "\n".join(lines)

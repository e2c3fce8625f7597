def fizzbuzz(n):
    """Return the FizzBuzz game from 1 to n as one string, one line per number.

    Lines are separated by "\\n", with no newline after the last one; fizzbuzz(0) is "".
    """
    raise NotImplementedError("Write fizzbuzz() here")

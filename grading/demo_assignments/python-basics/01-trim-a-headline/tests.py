import unittest

from solution import shorten


class TestShorten(unittest.TestCase):
    def check(self, text, width, expected):
        self.assertEqual(
            shorten(text, width), expected,
            msg=f"shorten({text!r}, {width}) should return {expected!r}",
        )

    def test_short_text_is_unchanged(self):
        self.check("Python", 10, "Python")

    def test_exact_width_is_unchanged(self):
        # A text of exactly `width` characters already fits.
        self.check("Python", 6, "Python")

    def test_long_text_is_cut(self):
        self.check("Learning Python", 10, "Learnin...")

    def test_one_character_too_long(self):
        self.check("abcdefg", 6, "abc...")

    def test_trailing_space_removed_before_dots(self):
        self.check("Python is fun", 10, "Python...")

    def test_empty_text(self):
        self.check("", 5, "")

    def test_smallest_width(self):
        self.check("Hello", 3, "...")

    def test_fitting_text_is_not_stripped(self):
        self.check("  hi  ", 10, "  hi  ")

    def test_several_spaces_before_the_cut(self):
        self.check("one   two three", 8, "one...")


if __name__ == "__main__":
    unittest.main()

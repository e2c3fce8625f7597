import unittest

from solution import parse_temperature


class TestParseTemperature(unittest.TestCase):
    def check(self, text, expected):
        self.assertAlmostEqual(
            parse_temperature(text), expected, places=6,
            msg=f"parse_temperature({text!r}) should be {expected}",
        )

    def assert_value_error(self, text):
        with self.assertRaises(ValueError, msg=f"parse_temperature({text!r}) should raise ValueError"):
            parse_temperature(text)

    def test_celsius(self):
        self.check("21.5C", 21.5)
        self.check("0C", 0.0)

    def test_fahrenheit(self):
        self.check("212F", 100.0)
        self.check("70F", 21.1)

    def test_lower_case_and_spaces(self):
        self.check(" 70 f ", 21.1)
        self.check("18 c", 18.0)

    def test_negative(self):
        self.check("-40F", -40.0)
        self.check("-5.5C", -5.5)

    def test_returns_a_float(self):
        self.assertIsInstance(parse_temperature("20C"), float, msg="the result should be a float")

    def test_bad_unit_raises(self):
        self.assert_value_error("20K")
        self.assert_value_error("20")

    def test_bad_number_raises(self):
        self.assert_value_error("warmC")
        self.assert_value_error("1.2.3F")

    def test_blank_text_raises(self):
        self.assert_value_error("")
        self.assert_value_error("   ")

    def test_unit_without_number_raises(self):
        self.assert_value_error("C")
        self.assert_value_error(" F")

    def test_below_absolute_zero_raises(self):
        self.assert_value_error("-300C")
        self.assert_value_error("-500F")
        self.check("-273C", -273.0)


if __name__ == "__main__":
    unittest.main()

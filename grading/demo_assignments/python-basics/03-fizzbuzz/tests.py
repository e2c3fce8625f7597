import unittest

from solution import fizzbuzz


class TestFizzBuzz(unittest.TestCase):
    def test_returns_a_string(self):
        result = fizzbuzz(3)
        self.assertIsInstance(result, str, msg="fizzbuzz() should return a string, not print it")

    def test_single_line(self):
        self.assertEqual(fizzbuzz(1), "1", msg="fizzbuzz(1) should be just '1'")

    def test_first_five(self):
        self.assertEqual(fizzbuzz(5), "1\n2\nFizz\n4\nBuzz", msg="fizzbuzz(5)")

    def test_fifteen(self):
        expected = "1\n2\nFizz\n4\nBuzz\nFizz\n7\n8\nFizz\nBuzz\n11\nFizz\n13\n14\nFizzBuzz"
        self.assertEqual(fizzbuzz(15), expected, msg="fizzbuzz(15) should end with 'FizzBuzz'")

    def test_one_line_per_number(self):
        lines = fizzbuzz(20).split("\n")
        self.assertEqual(len(lines), 20, msg="fizzbuzz(20) should have exactly 20 lines")

    def test_no_trailing_newline(self):
        self.assertFalse(fizzbuzz(4).endswith("\n"), msg="there should be no newline after the last line")

    def test_zero(self):
        self.assertEqual(fizzbuzz(0), "", msg="fizzbuzz(0) should be the empty string")

    def test_large_range(self):
        lines = fizzbuzz(300).split("\n")
        self.assertEqual(len(lines), 300)
        self.assertEqual(lines[96], "97")
        self.assertEqual(lines[98], "Fizz")
        self.assertEqual(lines[99], "Buzz")
        self.assertEqual(lines[299], "FizzBuzz")
        self.assertEqual(lines.count("FizzBuzz"), 20)
        self.assertEqual(lines.count("Fizz"), 80)
        self.assertEqual(lines.count("Buzz"), 40)


if __name__ == "__main__":
    unittest.main()

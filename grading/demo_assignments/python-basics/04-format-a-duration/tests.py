import unittest

from solution import format_duration, split_duration


class TestSplitDuration(unittest.TestCase):
    def test_example(self):
        self.assertEqual(split_duration(3725), (1, 2, 5),
                         msg="3725 seconds is 1 hour, 2 minutes and 5 seconds")

    def test_less_than_a_minute(self):
        self.assertEqual(split_duration(59), (0, 0, 59))

    def test_zero(self):
        self.assertEqual(split_duration(0), (0, 0, 0))

    def test_hour_boundary(self):
        self.assertEqual(split_duration(3599), (0, 59, 59))
        self.assertEqual(split_duration(3600), (1, 0, 0))


class TestFormatDuration(unittest.TestCase):
    def test_example(self):
        self.assertEqual(format_duration(3725), "1:02:05")

    def test_pads_minutes_and_seconds(self):
        self.assertEqual(format_duration(59), "0:00:59",
                         msg="minutes and seconds always have two digits")
        self.assertEqual(format_duration(600), "0:10:00")

    def test_custom_separator(self):
        self.assertEqual(format_duration(3725, "."), "1.02.05",
                         msg="the separator can be passed by position")
        self.assertEqual(format_duration(600, sep=" "), "0 10 00",
                         msg="the separator can be passed as the keyword argument sep")

    def test_more_than_a_day(self):
        self.assertEqual(format_duration(90061), "25:01:01", msg="hours are not limited to 24")


if __name__ == "__main__":
    unittest.main()

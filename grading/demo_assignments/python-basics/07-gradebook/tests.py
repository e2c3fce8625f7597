import unittest

from solution import average_scores, honour_roll


class TestAverageScores(unittest.TestCase):
    def test_one_student(self):
        self.assertEqual(average_scores([("Ada", 92), ("Ada", 88)]), {"Ada": 90.0})

    def test_several_students(self):
        records = [("Ada", 92), ("Bo", 78), ("Ada", 88), ("Cy", 95), ("Bo", 84)]
        self.assertEqual(
            average_scores(records), {"Ada": 90.0, "Bo": 81.0, "Cy": 95.0},
            msg="each name should appear once, with the average of all its scores",
        )

    def test_rounding(self):
        self.assertEqual(average_scores([("Di", 70), ("Di", 71), ("Di", 71)]), {"Di": 70.7},
                         msg="averages are rounded to 1 decimal place")

    def test_no_records(self):
        self.assertEqual(average_scores([]), {})

    def test_records_are_not_modified(self):
        records = [("Ada", 92), ("Bo", 78), ("Ada", 88)]
        average_scores(records)
        self.assertEqual(records, [("Ada", 92), ("Bo", 78), ("Ada", 88)],
                         msg="average_scores() must not change the list it receives")


class TestHonourRoll(unittest.TestCase):
    def test_default_threshold(self):
        self.assertEqual(honour_roll({"Cy": 95.0, "Bo": 89.9, "Ada": 90.0}), ["Ada", "Cy"],
                         msg="the default threshold is 90, an average of exactly 90 counts, "
                             "and the names are sorted")

    def test_custom_threshold(self):
        self.assertEqual(honour_roll({"Cy": 95.0, "Bo": 81.0, "Ada": 90.0}, threshold=80),
                         ["Ada", "Bo", "Cy"])

    def test_nobody_qualifies(self):
        self.assertEqual(honour_roll({"Bo": 81.0}), [])
        self.assertEqual(honour_roll({}), [])


if __name__ == "__main__":
    unittest.main()

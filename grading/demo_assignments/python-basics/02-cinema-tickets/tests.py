# pytest-style tests: every function whose name starts with test_ is one test.
from solution import ticket_price


def check(age, is_student, expected):
    result = ticket_price(age, is_student)
    assert result == expected, (
        f"ticket_price({age}, {is_student}) should be {expected}, but it returned {result!r}"
    )


def test_babies_go_free():
    check(0, False, 0)
    check(2, False, 0)


def test_child_price():
    check(3, False, 6)
    check(7, False, 6)


def test_adult_price():
    check(30, False, 12)


def test_student_price():
    check(20, True, 9)


def test_senior_price():
    check(65, False, 8)
    check(80, False, 8)


def test_age_boundaries():
    check(12, False, 6)
    check(13, False, 12)
    check(13, True, 9)
    check(64, False, 12)
    check(64, True, 9)


def test_senior_student_pays_senior_price():
    check(70, True, 8)


def test_child_student_pays_child_price():
    check(10, True, 6)
    check(1, True, 0)

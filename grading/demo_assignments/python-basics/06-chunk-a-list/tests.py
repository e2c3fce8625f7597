# pytest-style tests: every function whose name starts with test_ is one test.
from solution import chunk


def check(items, size, expected):
    result = chunk(items, size)
    assert result == expected, (
        f"chunk({items!r}, {size}) should be {expected!r}, but it returned {result!r}"
    )


def test_even_split():
    check([1, 2, 3, 4], 2, [[1, 2], [3, 4]])


def test_last_chunk_is_shorter():
    check([1, 2, 3, 4, 5], 2, [[1, 2], [3, 4], [5]])
    check([1, 2, 3, 4, 5, 6, 7], 3, [[1, 2, 3], [4, 5, 6], [7]])


def test_size_one():
    check([7, 8, 9], 1, [[7], [8], [9]])


def test_size_larger_than_list():
    check(["a", "b", "c"], 5, [["a", "b", "c"]])
    check(["a", "b", "c"], 3, [["a", "b", "c"]])


def test_empty_list():
    check([], 3, [])


def test_input_is_not_modified():
    items = [1, 2, 3, 4, 5]
    chunk(items, 2)
    assert items == [1, 2, 3, 4, 5], f"chunk() must not change the list it receives; it became {items!r}"


def test_chunks_are_new_lists():
    items = [1, 2, 3]
    result = chunk(items, 3)
    assert result == [[1, 2, 3]], f"chunk([1, 2, 3], 3) should be [[1, 2, 3]], but it returned {result!r}"
    result[0].append(99)
    assert items == [1, 2, 3], "each chunk must be a new list, not the list that was passed in"

"""Sentence selection (knowledge.quotes) and the sentence-support checker (knowledge.support).

Both run the real packaged embedder: they are what makes a tutor answer trustworthy, and a
stub embedder would test nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.quotes import quotes_select
from knowledge.sentences import split_sentences
from knowledge.support import SupportChecker, answer_check, key_terms, support_share

QUEUE = (
    "You can also use a list as a queue, where the first element added is the first element "
    'retrieved ("first-in, first-out"); however, lists are not efficient for this purpose. '
    "While appends and pops from the end of list are fast, doing inserts or pops from the "
    "beginning of a list is slow (because all of the other elements have to be shifted by one). "
    "To implement a queue, use collections.deque which was designed to have fast appends and "
    "pops from both ends."
)
SETS = (
    "Curly braces or the set() function can be used to create sets. Note: to create an empty "
    "set you have to use set(), not {}; the latter creates an empty dictionary."
)


@dataclass
class FakeChunk:
    """What quotes_select reads of a knowledge Chunk."""

    text: str
    pk: int = 1
    source_name: str = "Data structures"
    location: str = "Using lists as queues"
    url: str = "/courses/py/lessons/data/#queues"


def test_sentences_keep_their_offsets_code_blocks_and_abbreviations():
    text = "Lists grow, e.g. with append(). They shrink too!\n\n```python\nx = [1]\n```\n- one item"
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "Lists grow, e.g. with append().",
        "They shrink too!",
        "```python\nx = [1]\n```",
        "- one item",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert [s.code for s in spans] == [False, False, True, False]


def test_quotes_are_verbatim_sentences_of_the_passage_that_answers():
    chunks = [FakeChunk(SETS, pk=2), FakeChunk(QUEUE, pk=1)]
    quotes = quotes_select(
        question="How do I use a list as a FIFO queue efficiently?", chunks=chunks
    )
    assert quotes and len(quotes) <= 3
    assert "collections.deque" in " ".join(q.text for q in quotes)
    for quote in quotes:
        chunk = next(c for c in chunks if c.pk == quote.chunk_id)
        assert quote.text in chunk.text  # verbatim
        assert chunk.text.replace("…", "").find(quote.before.lstrip("…") + quote.text) >= 0
        assert quote.url == chunk.url and quote.n == chunks.index(chunk) + 1


def test_no_question_or_no_passage_means_no_quotes():
    assert quotes_select(question="", chunks=[FakeChunk(QUEUE)]) == []
    assert quotes_select(question="queues?", chunks=[]) == []


def test_the_deque_bisect_swap_is_unsupported_and_the_passage_sentence_is_supported():
    checker = SupportChecker([QUEUE, SETS])
    right, wrong, empty_set = checker.check_many(
        [
            "To implement a queue, use `collections.deque`, which has fast appends and pops "
            "from both ends [1].",
            "To use a list as a FIFO queue efficiently, use the `bisect` module [1].",
            "To create an empty set, call set(); {} makes an empty dictionary.",
        ]
    )
    assert right.supported and right.score > 0.8
    assert not wrong.supported and "bisect" in wrong.missing
    assert empty_set.supported


def test_filler_other_topics_and_invented_numbers_are_unsupported_questions_are_not_claims():
    checks = answer_check(
        text=(
            "Great question! The capital of France is Paris. Inserting at the front of a list "
            "takes 5 seconds. Do you see why?"
        ),
        passages=[QUEUE],
    )
    assert [c.supported for c in checks] == [False, False, False, True]
    assert [c.claim for c in checks] == [True, True, True, False]
    assert "5" in checks[2].missing
    assert support_share(checks) == 0.0


def test_code_is_supported_when_its_names_come_from_the_material():
    material = "from collections import deque\nqueue = deque(['Eric', 'John'])\nqueue.popleft()"
    good, invented = SupportChecker([QUEUE + "\n\n```python\n" + material + "\n```"]).check_many(
        [
            "```python\nqueue = deque(['Eric'])\nqueue.popleft()\n```",
            "```python\nimport bisect\nbisect.insort_queue(items, 3)\n```",
        ]
    )
    assert good.supported and not invented.supported


def test_key_terms_are_identifiers_numbers_and_names_not_ordinary_words():
    found = key_terms(
        "Use the `heapq` module or collections.deque with maxlen=3 [2], as Guido said in 1991."
    )
    assert {"heapq", "collections", "deque", "3", "1991", "Guido"} <= found
    assert not {"Use", "the", "module", "2"} & found
    assert support_share([]) is None


EMPTY_SET = (
    "Sets hold each item once and have no order. Creating a set from a list drops the "
    "duplicates, which is the quickest way to count distinct values. To make an empty set, "
    "write:\n\n```python\nseen = set()\n```\n\nCurly braces alone make a dictionary instead."
)


def test_a_quote_that_introduces_code_brings_the_code_with_it():
    quotes = quotes_select(
        question="How do I make an empty set?", chunks=[FakeChunk(EMPTY_SET)], limit=1
    )
    assert quotes[0].text == "To make an empty set, write:\n\n```python\nseen = set()\n```"
    assert quotes[0].text in EMPTY_SET  # still verbatim, and the context goes on after it
    assert quotes[0].after.startswith("\n\nCurly braces")


LIST_METHODS = (
    "A list keeps its items in order, and a list can hold items of any type. You can change "
    "a list after making it: a list is mutable. lst.append(x) adds x at the end of the list. "
    "lst.insert(0, x) puts x in front of every item of the list. Sorting a list with "
    "lst.sort() changes the list itself and returns None, while sorted(lst) returns a new "
    "sorted list."
)


def test_quotes_prefer_the_sentence_with_the_rare_words_of_the_question():
    def best(question: str) -> str:
        return quotes_select(question=question, chunks=[FakeChunk(LIST_METHODS)], limit=1)[0].text

    assert "append" in best("Which list method adds an item at the end?")
    # "sorted" and "sort" are the same word to the overlap.
    assert "sorted(lst)" in best("What is the difference between sorting and sorted()?")


RAISING = (
    "Your own functions should refuse bad input loudly instead of returning a misleading "
    "result. Use `raise` with an exception type and a helpful message:\n\n```python\n"
    "if not numbers:\n    raise ValueError('average() needs at least one number')\n```\n\n"
    "Callers can then catch the error."
)
EXERCISES = (
    "1. How should a function refuse bad input?\n2. What does a traceback show?\n"
    "3. Why is a silent wrong result worse than an error?"
)


def test_a_topic_sentence_brings_the_sentence_and_code_that_say_what_to_do():
    quotes = quotes_select(
        question="How should my function refuse bad input?",
        chunks=[FakeChunk(EXERCISES, pk=2), FakeChunk(RAISING, pk=1)],
    )
    assert quotes[0].text.startswith("Your own functions should refuse bad input loudly")
    assert "raise ValueError(" in quotes[0].text and quotes[0].text in RAISING
    # The exercise restates the question word for word, but a question is never a quote.
    assert not any(q.text.endswith("?") for q in quotes)

"""Who a clause is about (grading.roles): the subject that decides whether a fact was said of the
right thing. Pure rules, no model."""

from __future__ import annotations

from grading.roles import PRONOUN, code_entities, exchange, resolve, subject

QUESTION = "What is the difference between `==` and `is` in Python?"


def test_the_operators_named_in_backticks_are_the_question_s_code_names():
    assert code_entities(QUESTION) == {"==", "is"}
    assert {"a", "b", "append"} <= code_entities(
        "What prints?\n\n```python\nb = a\nb.append(4)\n```"
    )


def test_an_operator_that_is_also_an_english_word_is_a_subject_only_where_it_names_the_operator():
    names = code_entities(QUESTION)
    assert subject("is checks whether both are the same object", names) == "is"
    assert subject("while is asks whether they are one object", names) == "is"
    assert subject("Identity (is) holds for the same object", names) == "is"
    assert subject("The operator == compares values", names) == "=="
    assert subject("Equality (==) compares the contents", names) == "=="
    assert subject("A list is mutable", names) == "list"  # "is" the verb, "a" the article
    assert subject("Tuples are immutable", frozenset()) == "tuple"


def test_a_pronoun_refers_back_to_the_last_subject_the_answer_named():
    found = [subject(t, frozenset()) for t in ("A generator is lazy", "you loop", "it keeps all")]
    assert found[2] == PRONOUN
    assert resolve(found, {"generator", "list"}) == ["generator", "loop", "generator"]


def test_exchanging_the_subject_rewrites_only_its_first_mention():
    assert exchange("is checks whether values are equal", "is", "==") == (
        "== checks whether values are equal"
    )
    assert exchange("== compares, and != too", "==", "is") == "is compares, and != too"
    assert exchange("Tuples are mutable", "tuple", "list") == "list are mutable"
